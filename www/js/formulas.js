// @ts-check
// formulas.js: the formulas of the current schedule and sampler, typeset with KaTeX (from npm,
// copied to www/vendor/katex/ by `cargo xtask build-wasm` and served by the page itself). Each
// formula is the one the Rust core implements; the doc comment of the named function cites its
// source. Without KaTeX the TeX source is shown as text.

/** Where KaTeX lives next to the page. */
const KATEX_URL = new URL('../vendor/katex/katex.mjs', import.meta.url).href;
const KATEX_CSS = new URL('../vendor/katex/katex.min.css', import.meta.url).href;

/** A formula: [caption, TeX]. @typedef {[string, string]} Formula */

/**
 * Forward process of every schedule (`Schedule` in src/core/schedule.rs).
 * @type {Record<string, Formula>}
 */
const SCHEDULES = {
  vp_linear: [
    'Variance preserving, linear β (DDPM; Ho et al. 2020, continuous form of Song et al. 2021)',
    String.raw`\beta(t) = \beta_{\min} + t(\beta_{\max} - \beta_{\min}),\ \ \alpha_t = e^{-\frac12\int_0^t \beta},\ \ \sigma_t = \sqrt{1 - \alpha_t^2},\quad \beta_{\min} = 0.1,\ \beta_{\max} = 20`,
  ],
  vp_cosine: [
    'Variance preserving cosine (Nichol & Dhariwal 2021, eq. 17)',
    String.raw`\alpha_t = \frac{\cos\phi(t)}{\cos\phi(0)},\ \ \phi(t) = \frac{t + s}{1 + s}\,\frac{\pi}{2},\ \ \sigma_t = \sqrt{1 - \alpha_t^2},\quad s = 0.008`,
  ],
  ve: [
    'Variance exploding (NCSN; Song & Ermon 2019)',
    String.raw`\alpha_t = 1,\ \ \sigma_t = \sigma_{\min}\Big(\frac{\sigma_{\max}}{\sigma_{\min}}\Big)^{t},\quad \sigma_{\min} = 0.01,\ \sigma_{\max} = 20`,
  ],
  edm: [
    'EDM (Karras et al. 2022): time is the noise level',
    String.raw`\alpha_t = 1,\ \ \sigma_t = t,\quad t \in [0.002, 80]`,
  ],
  rectified_flow: [
    'Rectified flow / flow matching (Liu et al. 2023; Lipman et al. 2023)',
    String.raw`\alpha_t = 1 - t,\ \ \sigma_t = t`,
  ],
};

/**
 * What every schedule shares (Song et al. 2021; Kingma et al. 2021; docs/theory.md).
 * @type {Formula[]}
 */
const COMMON = [
  ['Forward process and its SDE', String.raw`x_t = \alpha_t x_0 + \sigma_t \varepsilon,\qquad dx = f(t)\,x\,dt + g(t)\,dW,\quad f = \frac{d\log\alpha_t}{dt},\ \ g^2 = \sigma_t^2\,\frac{d}{dt}\log\frac{\sigma_t^2}{\alpha_t^2}`],
  ['Score, noise and Tweedie', String.raw`\nabla_x \log p_t(x) = -\frac{\hat\varepsilon}{\sigma_t},\qquad \hat x_0 = \mathbb E[x_0 \mid x_t] = \frac{x_t - \sigma_t\hat\varepsilon}{\alpha_t}`],
  ['Reverse SDE and probability-flow ODE', String.raw`dx = \big[f x - g^2\,\nabla\log p_t\big]dt + g\,d\bar W,\qquad \frac{dx}{dt} = f x - \tfrac12 g^2\,\nabla\log p_t`],
  [
    'Straightness of the paths (Liu, Gong & Liu 2022), in rectified flow\'s frame y = x/(α + σ), s = σ/(α + σ), u the run\'s share of s (src/core/straightness.rs)',
    String.raw`S = \int_0^1 \mathbb E\,\big\|(y_1 - y_0) - \tfrac{dy}{du}\big\|^2 du = \mathbb E\sum_k \frac{\|y_{k+1} - y_k\|^2}{u_{k+1} - u_k} - \mathbb E\,\|y_K - y_0\|^2`,
  ],
];

/**
 * The training couplings of the drawing panel other than the independent one (src/core/coupling.rs):
 * how a batch pairs data x_0 with noise ε, and the path the velocity is learned on. Shown when
 * one is chosen.
 * @type {Record<string, Formula>}
 */
const COUPLINGS = {
  ot: [
    'Training coupling: minibatch optimal transport (OT-CFM; Tong et al. 2023, Alg. 1), exact assignment within groups of 64',
    String.raw`\pi^\star = \arg\min_{\pi \in S_n} \sum_i \|x_{0,i} - \varepsilon_{\pi(i)}\|^2,\qquad x_t = \alpha_t x_{0,i} + \sigma_t \varepsilon_{\pi^\star(i)}`,
  ],
  sb: [
    'Training coupling: Schrödinger bridge (SB-CFM; Tong et al. 2023, Sec. 3.3), entropic plan with ε = 2σ_b², σ_b = 0.5',
    String.raw`x_t = (1 - t)\,x_0 + t\,\varepsilon + \sigma_b\sqrt{t(1-t)}\,z,\qquad u_t = \varepsilon - x_0 + \frac{1 - 2t}{2\sqrt{t(1-t)}}\,\sigma_b z`,
  ],
  reflow: [
    'The network in use is a reflow (the k+1-rectified flow; Liu et al. 2022, Alg. 1): trained on pairs of the previous flow v_k, each noise with its ODE endpoint',
    String.raw`x_0 = \varepsilon + \int_1^0 v_k(x_t, t)\,dt,\qquad \min_\theta\ \mathbb E\,\big\|v_\theta\big((1 - t)\,x_0 + t\,\varepsilon,\ t\big) - (\varepsilon - x_0)\big\|^2`,
  ],
  consistency: [
    'The network in use is a one-step generator: consistency distillation of a flow v_φ (Song et al. 2023, eq. 5 and Alg. 2), θ⁻ the moving average of θ; its sample is one Euler step, x_0 = ε − v_θ(ε, 1)',
    String.raw`f_\theta(x, t) = x - t\,v_\theta(x, t),\qquad \min_\theta\ \mathbb E\,\big\|f_\theta(x_{t_{n+1}}, t_{n+1}) - f_{\theta^-}\big(\hat x^{\phi}_{t_n}, t_n\big)\big\|^2`,
  ],
};

/**
 * One step from t to s < t of every sampler (src/core/sampler/plans.rs).
 * @type {Record<string, Formula>}
 */
const SAMPLERS = {
  euler_maruyama: [
    'Euler–Maruyama on the reverse SDE family with stochasticity η (η = 1 the reverse SDE, 0 the ODE)',
    String.raw`x_s = (1 - f_t\Delta t)\,x_t - \Delta t\,\frac{1+\eta^2}{2}\,\frac{g_t^2}{\sigma_t}\,\hat\varepsilon + \eta\,g_t\sqrt{\Delta t}\,z,\quad \Delta t = t - s`,
  ],
  probability_flow_euler: [
    'Euler on the probability-flow ODE',
    String.raw`x_s = (1 - f_t\Delta t)\,x_t - \Delta t\,\frac{g_t^2}{2\sigma_t}\,\hat\varepsilon`,
  ],
  heun: [
    "Heun's method on the probability-flow ODE (Karras et al. 2022, Alg. 1–2; the step into t_min is Euler)",
    String.raw`d(x, t) = f_t x + \frac{g_t^2}{2\sigma_t}\hat\varepsilon(x, t),\quad x' = x_t + h\,d(x_t, t),\quad x_s = x_t + \frac h2\big[d(x_t, t) + d(x', s)\big],\ \ h = s - t`,
  ],
  ddim: [
    'DDIM (Song, Meng & Ermon 2021, eq. 12) with η',
    String.raw`x_s = \alpha_s \hat x_0 + \sqrt{\sigma_s^2 - \sigma_\eta^2}\;\hat\varepsilon + \sigma_\eta z,\quad \sigma_\eta^2 = \eta^2\sigma_s^2\Big(1 - \frac{\alpha_t^2\sigma_s^2}{\alpha_s^2\sigma_t^2}\Big)`,
  ],
  ddpm_ancestral: [
    'DDPM ancestral: a draw from the posterior q(x_s | x_t, x_0 = x̂_0) (Ho et al. 2020, eqs. 6-7)',
    String.raw`x_s = \frac{\alpha_{t|s}\sigma_s^2}{\sigma_t^2}\,x_t + \frac{\alpha_s\sigma_{t|s}^2}{\sigma_t^2}\,\hat x_0 + \frac{\sigma_s\,\sigma_{t|s}}{\sigma_t}\,z,\quad \alpha_{t|s} = \frac{\alpha_t}{\alpha_s},\ \ \sigma_{t|s}^2 = \sigma_t^2 - \alpha_{t|s}^2\sigma_s^2`,
  ],
  dpm_solver_2s: [
    'DPM-Solver++ (2S) (Lu et al. 2022, Alg. 1, r = ½), with λ = log(α/σ)',
    String.raw`h = \lambda_s - \lambda_t,\ \ \lambda_m = \lambda_t + \tfrac h2,\quad u = \frac{\sigma_m}{\sigma_t}x_t - \alpha_m\big(e^{-h/2} - 1\big)\hat x_0(x_t, t),\quad x_s = \frac{\sigma_s}{\sigma_t}x_t - \alpha_s\big(e^{-h} - 1\big)\hat x_0(u, m)`,
  ],
  dpm_solver_2m: [
    'DPM-Solver++ (2M) (Lu et al. 2022, Alg. 2), with λ = log(α/σ)',
    String.raw`D = \Big(1 + \frac1{2r}\Big)\hat x_0^{(t)} - \frac1{2r}\hat x_0^{(\text{prev})},\ \ r = \frac{h_{\text{prev}}}{h},\ \ h = \lambda_s - \lambda_t,\quad x_s = \frac{\sigma_s}{\sigma_t}x_t - \alpha_s\big(e^{-h} - 1\big)D`,
  ],
  euler_ancestral: [
    "Euler ancestral (k-diffusion), in x̃ = x/α with σ̃ = σ/α: Euler to σ̃↓, fresh noise σ̃↑ (η)",
    String.raw`\tilde\sigma_\uparrow = \min\Big(\tilde\sigma_s,\ \eta\,\tilde\sigma_s\sqrt{1 - \tilde\sigma_s^2/\tilde\sigma_t^2}\Big),\ \ \tilde\sigma_\downarrow = \sqrt{\tilde\sigma_s^2 - \tilde\sigma_\uparrow^2},\quad \tilde x_s = \tilde x_t + (\tilde\sigma_\downarrow - \tilde\sigma_t)\,\hat\varepsilon + \tilde\sigma_\uparrow z`,
  ],
  dpm_2: [
    'DPM-2 (Karras et al. 2022; k-diffusion), in x̃ = x/α: the derivative at the geometric midpoint of σ̃ (the step into σ̃ = 0 is Euler)',
    String.raw`\tilde\sigma_m = \sqrt{\tilde\sigma_t\tilde\sigma_s},\quad \tilde x_m = \tilde x_t + (\tilde\sigma_m - \tilde\sigma_t)\,\hat\varepsilon(x_t),\quad \tilde x_s = \tilde x_t + (\tilde\sigma_s - \tilde\sigma_t)\,\hat\varepsilon(x_m)`,
  ],
  dpm_2_ancestral: [
    'DPM-2 ancestral (k-diffusion): DPM-2 to σ̃↓ (midpoint √(σ̃_t σ̃↓)), then fresh noise σ̃↑ (η), as Euler ancestral',
    String.raw`\tilde x_s = \tilde x_t + (\tilde\sigma_\downarrow - \tilde\sigma_t)\,\hat\varepsilon(x_m) + \tilde\sigma_\uparrow z,\quad \tilde\sigma_m = \sqrt{\tilde\sigma_t\tilde\sigma_\downarrow}`,
  ],
  dpm_solver_2s_ancestral: [
    'DPM-Solver++ (2S) ancestral (k-diffusion; Lu et al. 2022), data prediction D = x̃ − σ̃ε̂: 2S to σ̃↓, then fresh noise σ̃↑ (η)',
    String.raw`\tilde x_m = \frac{\tilde\sigma_m}{\tilde\sigma_t}\tilde x_t + \Big(1 - \frac{\tilde\sigma_m}{\tilde\sigma_t}\Big)D(x_t),\quad \tilde x_s = \frac{\tilde\sigma_\downarrow}{\tilde\sigma_t}\tilde x_t + \Big(1 - \frac{\tilde\sigma_\downarrow}{\tilde\sigma_t}\Big)D(x_m) + \tilde\sigma_\uparrow z,\quad \tilde\sigma_m = \sqrt{\tilde\sigma_t\tilde\sigma_\downarrow}`,
  ],  lms: [
    'Linear multistep, order 4 (k-diffusion), in x̃ = x/α: the Lagrange polynomial through the last four ε̂ (fewer at the start), integrated over σ̃',
    String.raw`\tilde x_s = \tilde x_t + \sum_{j=0}^{3} \hat\varepsilon_{j} \int_{\tilde\sigma_t}^{\tilde\sigma_s} \prod_{k \ne j} \frac{\tau - \tilde\sigma_{k}}{\tilde\sigma_{j} - \tilde\sigma_{k}}\,d\tau\quad(j = 0\text{: this step, } j\text{: } j \text{ steps back})`,
  ],
  ipndm: [
    'iPNDM, order 4 (Zhang & Chen 2023; k-diffusion): Adams–Bashforth in σ̃ with fixed coefficients',
    String.raw`\tilde x_s = \tilde x_t + (\tilde\sigma_s - \tilde\sigma_t)\,\frac{55\hat\varepsilon_0 - 59\hat\varepsilon_1 + 37\hat\varepsilon_2 - 9\hat\varepsilon_3}{24}\quad(\text{orders 1–3 while the history fills})`,
  ],
  deis: [
    'DEIS (Zhang & Chen 2023; diffusers): the exponential integrator of dx̃/dρ = ε̂ with ρ = σ̃ and ε̂ a Lagrange polynomial in log ρ (order 2 or 3)',
    String.raw`\tilde x_s = \tilde x_t + \sum_{j < p} \hat\varepsilon_{j} \int_{\rho_t}^{\rho_s} \prod_{k \ne j} \frac{\log\rho - \log\rho_{k}}{\log\rho_{j} - \log\rho_{k}}\,d\rho`,
  ],
  unipc: [
    'UniPC, B(h) = e^h − 1 (Zhao et al. 2023; diffusers), data prediction m = x̂₀: correct x_t with the new m₀ (UniC), then predict (UniP); order p, the corrector adds one',
    String.raw`x_s = \frac{\sigma_s}{\sigma_t}x_t^{c} - \alpha_s\big(e^{-h} - 1\big)m_0 - \alpha_s B(h)\sum_{k} \rho^{p}_k\,\frac{m_k - m_0}{r_k},\quad r_k = \frac{\lambda_{k} - \lambda_0}{h},\ \ \sum_k \rho_k r_k^{i-1} = \frac{i!\,\varphi_{i+1}(h)}{B(h)}`,
  ],
  unipc_bh1: [
    'UniPC, B(h) = h (Zhao et al. 2023, variant bh1): as UniPC (bh2) with the other B(h)',
    String.raw`x_s = \frac{\sigma_s}{\sigma_t}x_t^{c} - \alpha_s\big(e^{-h} - 1\big)m_0 - \alpha_s B(h)\sum_{k} \rho^{p}_k\,\frac{m_k - m_0}{r_k},\quad B(h) = h`,
  ],
  dpm_solver_sde: [
    'DPM-Solver++ SDE (k-diffusion; Lu et al. 2022): the 2S step with ancestral noise at both stages, two increments of one Brownian path in σ̃',
    String.raw`\tilde x_m = \frac{\tilde\sigma^{(1)}_\downarrow}{\tilde\sigma_t}\tilde x_t + \Big(1 - \frac{\tilde\sigma^{(1)}_\downarrow}{\tilde\sigma_t}\Big)D(x_t) + \tilde\sigma^{(1)}_\uparrow z_a,\quad \tilde x_s = \frac{\tilde\sigma^{(2)}_\downarrow}{\tilde\sigma_t}\tilde x_t + \Big(1 - \frac{\tilde\sigma^{(2)}_\downarrow}{\tilde\sigma_t}\Big)D(x_m) + \tilde\sigma^{(2)}_\uparrow z,\ \ \operatorname{corr}(z_a, z) = \sqrt{\frac{\tilde\sigma_t - \tilde\sigma_m}{\tilde\sigma_t - \tilde\sigma_s}}`,
  ],
  dpm_solver_2m_sde: [
    'DPM-Solver++ (2M) SDE, midpoint (k-diffusion; Lu et al. 2022), data prediction m, h = λ_s − λ_t, with η',
    String.raw`\tilde x_s = e^{-(1+\eta)h}\tilde x_t + \big(1 - e^{-(1+\eta)h}\big)m_0 + \tfrac12\big(1 - e^{-(1+\eta)h}\big)\frac{m_0 - m_1}{r} + \tilde\sigma_s\sqrt{1 - e^{-2\eta h}}\,z,\quad r = \frac{h_{\text{prev}}}{h}`,
  ],
  dpm_solver_2m_sde_heun: [
    'DPM-Solver++ (2M) SDE, Heun correction (k-diffusion solver_type = heun), with η',
    String.raw`\tilde x_s = e^{-(1+\eta)h}\tilde x_t + \big(1 - e^{-(1+\eta)h}\big)m_0 + \Big(1 - \frac{1 - e^{-(1+\eta)h}}{(1+\eta)h}\Big)\frac{m_0 - m_1}{r} + \tilde\sigma_s\sqrt{1 - e^{-2\eta h}}\,z`,
  ],
  dpm_solver_3m_sde: [
    'DPM-Solver++ (3M) SDE (k-diffusion; Lu et al. 2022), h_η = (1 + η)h, with η',
    String.raw`\tilde x_s = e^{-h_\eta}\tilde x_t + \big(1 - e^{-h_\eta}\big)m_0 + \varphi_2 d_1 - \varphi_3 d_2 + \tilde\sigma_s\sqrt{1 - e^{-2\eta h}}\,z,\ \ \varphi_2 = \frac{e^{-h_\eta} - 1}{h_\eta} + 1,\ \ \varphi_3 = \frac{\varphi_2}{h_\eta} - \frac12`,
  ],
};

/**
 * KaTeX's module (www/vendor/katex/katex.mjs, loaded by URL and not checked here): what this
 * file uses of it.
 * @typedef {{ render(tex: string, element: HTMLElement, options?: object): void }} Katex
 */

/** @type {Katex | null} */
let katex = null;
let katexFailed = false;

/** Loads KaTeX once; resolves to the module, or null when it is not there. */
async function loadKatex() {
  if (katex || katexFailed) return katex;
  try {
    katex = (await import(KATEX_URL)).default;
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = KATEX_CSS;
    document.head.append(link);
  } catch {
    katexFailed = true;
  }
  return katex;
}

/**
 * Guidance toward a class c (src/core/guidance.rs), with the exact classifier of the dataset's
 * mixture; w is diffusers' guidance_scale.
 * @type {Record<string, Formula>}
 */
const GUIDANCES = {
  cfg: [
    'Classifier-free guidance (Ho & Salimans 2022; w = 1 the class, Ho & Salimans write w − 1), with the dataset’s class-conditional network (a class embedding, trained with 20% of labels dropped to the null class ∅) or the exact scores, where it is the score of the tilted density',
    String.raw`\hatarepsilon_w = \hatarepsilon(x, arnothing) + w\,ig(\hatarepsilon(x, c) - \hatarepsilon(x, arnothing)ig) = -\sigma_t\,
abla\logig[p_t(x \mid c)^{w}\,p_t(x)^{1-w}ig]`,
  ],
  classifier: [
    'Classifier guidance (Dhariwal & Nichol 2021) with the exact classifier p_t(c | x) of the mixture (Bayes: the class’s share of the responsibilities)',
    String.raw`\hatarepsilon_w = \hatarepsilon(x) - \sigma_t\,w\,
abla\log p_t(c \mid x),\qquad 
abla\log p_t(c \mid x) = 
abla\log p_t(x \mid c) - 
abla\log p_t(x)`,
  ],
};

/**
 * Conditioning on a measurement y = A x0 + n, n ~ N(0, s^2 I) (src/core/posterior.rs,
 * src/core/posterior_guidance.rs, src/core/smc.rs); w is posterior_scale.
 * @type {Record<string, Formula>}
 */
const POSTERIORS = {
  exact: [
    'The exact posterior of the mixture (Bayes per component, reweighted by its evidence): its own noised score drives the run',
    String.raw`p(x_0 \mid y) = \sum_k w'_k\,\mathcal N(\mu'_k, \Sigma'_k),\quad \mu'_k = \mu_k + K_k (y - A\mu_k),\quad \Sigma'_k = \Sigma_k - K_k A \Sigma_k,\quad w'_k \propto w_k\,\mathcal N(y; A\mu_k, A\Sigma_k A^\top + s^2 I)`,
  ],
  dps: [
    'DPS (Chung et al. 2023): the likelihood of the Tweedie denoiser, its gradient through the exact Jacobian of x̂₀',
    String.raw`\hat\varepsilon_y = \hat\varepsilon - \sigma_t\,w\,\nabla_x \log \mathcal N\big(y;\, A\hat x_0(x),\, s^2 I\big) = \hat\varepsilon - \sigma_t\,w\,\Big(\frac{\partial \hat x_0}{\partial x}\Big)^{\!\top} A^\top \frac{y - A\hat x_0}{s^2}`,
  ],
  pigdm: [
    'PiGDM (Song et al. 2023): the same with the denoiser’s own uncertainty r_t² = σ²/(α² + σ²) in the likelihood',
    String.raw`\hat\varepsilon_y = \hat\varepsilon - \sigma_t\,w\,\Big(\frac{\partial \hat x_0}{\partial x}\Big)^{\!\top} A^\top \big(r_t^2 A A^\top + s^2 I\big)^{-1} (y - A\hat x_0)`,
  ],
  smc: [
    'Twisted SMC (Wu et al. 2023): PiGDM’s likelihood p̃_t as the twist, the guided kernel q as the proposal, importance weights, resampling when the ESS falls below half',
    String.raw`\log w' = \log w + \log \tilde p_{t'}(y \mid x') - \log \tilde p_t(y \mid x) + \log p(x' \mid x) - \log q(x' \mid x, y),\qquad \mathrm{ESS} = \frac{(\sum_i w_i)^2}{\sum_i w_i^2}`,
  ],
};

/**
 * What the formulas panel shows the formulas of: the run's schedule, sampler, guidance and
 * posterior method, the drawing panel's training coupling and the coupling the network in use
 * was trained with (reflow and consistency distillation have no select of their own).
 * @typedef {{ schedule: string, sampler: string, guidance?: string, posterior?: string, coupling?: string, network?: string }} FormulaChoice
 */

/**
 * The formulas a panel shows for `choice`: [caption, TeX] pairs.
 * @param {FormulaChoice} choice
 * @returns {Formula[]}
 */
export function formulasFor({ schedule, sampler, guidance = 'none', posterior = 'none', coupling = 'independent', network = 'independent' }) {
  // An unknown name has no formula (undefined, filtered out).
  const couplings = [...new Set([coupling, network])].map((name) => COUPLINGS[name]);
  return [SCHEDULES[schedule], ...COMMON, SAMPLERS[sampler], GUIDANCES[guidance], POSTERIORS[posterior], ...couplings].filter(Boolean);
}

/**
 * Fills `container` with the formulas of `choice`, typeset when KaTeX loads.
 * @param {HTMLElement} container
 * @param {FormulaChoice} choice
 * @returns {Promise<boolean>} whether KaTeX typeset them
 */
export async function showFormulas(container, choice) {
  const tex = await loadKatex();
  container.replaceChildren(
    ...formulasFor(choice).map(([caption, source]) => {
      const figure = document.createElement('figure');
      figure.className = 'formula';
      const math = document.createElement('div');
      if (tex) tex.render(source, math, { displayMode: true, throwOnError: false });
      else math.textContent = source;
      const text = document.createElement('figcaption');
      text.textContent = caption;
      figure.append(text, math);
      return figure;
    }),
  );
  if (!tex) {
    const note = document.createElement('p');
    note.className = 'help';
    note.textContent = 'KaTeX was not found next to the page (build with `cargo xtask build-wasm` after `npm install`); the formulas are shown as TeX.';
    container.append(note);
  }
  return Boolean(tex);
}
