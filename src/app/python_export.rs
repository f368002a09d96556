//! "Export code" (docs/cli.md, "The run as code"): the session's run written as a runnable NumPy script
//! (`python_export_template.py`), for the page's button and `dp-sample --emit python`.
//!
//! The script carries what makes the run: the settings, the schedule's alpha and sigma as Python
//! functions, the grid's times, every step's coefficients of the one step form of
//! `core::sampler` (the plan the playground itself runs), the score (the network as its
//! safetensors file, or the exact Gaussian mixture), the class guidance, and the counter-based
//! random numbers of `core::rng`. So it reproduces the playground's particles from the same seed
//! or start, to float32 rounding. It also names the nearest k-diffusion and diffusers calls
//! (`app::library_equivalents`).
//!
//! DPS and PiGDM are written out with the score's exact Jacobian (forward mode through the MLP,
//! or the mixture's Hessian). SMC is not (its resampling couples the particles); the export
//! refuses it, naming the field.

use crate::app::library_equivalents;
use crate::app::options::{self, OptionError};
use crate::app::session::Session;
use crate::core::dataset::GaussianMixture;
use crate::core::guidance;
use crate::core::posterior_guidance::{self, ObservationParams, PosteriorMethod};
use crate::core::safetensors_net;
use crate::core::sampler::{self, Evaluation, NetFrame, ReverseStep};
use crate::core::schedule::{self, Schedule};

/// The script's template; `{{NAME}}` marks what [`script`] fills in.
const TEMPLATE: &str = include_str!("python_export_template.py");

/// Options that only change how the page draws, left out of the script's settings line.
const DISPLAY_ONLY: [&str; 3] = ["backend", "point_size", "palette"];

/// The file name the script is offered under: `diffusion-playground-<dataset>-<sampler>.py`.
pub fn file_name(session: &Session) -> String {
    let options = session.options();
    let data = if session.drawing_points().is_some() { "drawing" } else { options.dataset.name() };
    format!("diffusion-playground-{data}-{}.py", options.sampler.name())
}

/// The run of `session` as a Python script; `origin` says where it was exported from (the page,
/// or the command line that wrote it). Refuses the posterior methods it cannot write out.
pub fn script(session: &Session, origin: &str) -> Result<String, String> {
    let options = session.options();
    if options.measurement().is_some() && options.posterior == PosteriorMethod::Smc {
        return Err(OptionError {
            field: "posterior".into(),
            value: options.posterior.name().into(),
            allowed: "none, exact, dps or pigdm in exported code (SMC resamples, coupling the particles; \
                      it runs in the page and in dp-sample)"
                .into(),
        }
        .to_string());
    }
    let schedule = options.schedule;
    let times = options.full_run_times();
    let plan = sampler::plan(schedule, NetFrame::of(session.net()), &options.sampler_settings(), &times);
    let observation = session.observation();
    // DPS and PiGDM weight their likelihood term by posterior_scale at every evaluation, in the
    // slot class guidance would use (as the GPU's guidance-weight buffer does).
    let guidance = match observation.guides() {
        true => Some(guidance::Guidance::everywhere(options.posterior_scale)),
        false => session.guidance(),
    };
    let weights = guidance::guidance_weights(&plan, guidance.as_ref());
    let exact = options.score != crate::app::options::ScoreChoice::Mlp;
    let file = file_name(session);
    let data = match session.drawing_points() {
        Some(_) => "a drawing".to_string(),
        None => options.dataset.label().to_string(),
    };
    let score_line = match (exact, options.posterior) {
        (true, PosteriorMethod::Exact) => {
            "the exact score of the posterior p(x0 | y), a Gaussian mixture".into()
        }
        (true, PosteriorMethod::Dps | PosteriorMethod::Pigdm) => {
            format!(
                "the exact score of {data}'s Gaussian mixture, with {}'s likelihood term",
                options.posterior.name()
            )
        }
        (true, _) => format!("the exact score of {data}'s Gaussian mixture"),
        (false, _) if session.classifier_free().is_some() => format!(
            "the class-conditional network ({} prediction, trained on {data}'s classes)",
            session.net().parametrization.label()
        ),
        (false, _) => {
            let net = session.net();
            let how = match net.coupling {
                crate::core::coupling::Coupling::Independent => String::new(),
                coupling => format!(", {}: a velocity but no score", coupling.label()),
            };
            format!("the network ({} prediction, trained on {data}{how})", net.parametrization.label())
        }
    };
    let mut score_code = String::new();
    if !exact {
        score_code.push_str(&network_code(session));
    }
    let classifier_free = session.classifier_free().map(|(embedding, class)| (embedding.null(), class));
    let class_guided = guidance.is_some() && !observation.guides() && classifier_free.is_none();
    if exact || class_guided {
        score_code.push_str(&mixture_code(session.score_mixture()));
    }
    if exact {
        score_code.push_str(EXACT_EPS);
    }
    if observation.guides() {
        score_code.push_str(if exact { EXACT_JACOBIAN } else { MLP_JACOBIAN });
        score_code.push_str(&posterior_code(observation));
    }
    let guidance_call = match (observation.guides(), class_guided, classifier_free) {
        (true, _, _) => POSTERIOR_CALL.to_string(),
        (false, true, _) => GUIDANCE_CALL.to_string(),
        (false, false, Some((null, class))) => CLASSIFIER_FREE_CALL
            .replace("{{CLASS}}", &class.to_string())
            .replace("{{NULL}}", &null.to_string()),
        (false, false, None) => String::new(),
    };
    let grid_line = match options.time_grid.uses_rho() {
        true => {
            format!("{} with rho = {}, time shift {}", options.time_grid.label(), options.rho, options.shift)
        }
        false => format!("{}, time shift {}", options.time_grid.label(), options.shift),
    };
    let sampler_line = format!(
        "{} ({} steps, {} network evaluations)",
        options.sampler.label(),
        plan.len(),
        plan.iter().map(ReverseStep::evaluations).sum::<usize>()
    );
    let title = format!("Diffusion Playground: {data}, {}, {}", schedule.label(), sampler_line);
    let fields: [(&str, String); 17] = [
        ("TITLE", title),
        ("ORIGIN", origin.to_string()),
        ("SETTINGS_LINE", settings_line(session)),
        ("SETTINGS_JSON", serde_json::to_string(options).expect("options serialise")),
        ("FILE_NAME", file),
        ("SCORE_LINE", score_line),
        ("SEED", options.seed.to_string()),
        ("PARTICLES", options.particles.to_string()),
        ("TEMPERATURE", format!("{:?}", options.temperature)),
        ("SCHEDULE_CODE", schedule_code(schedule)),
        ("GRID_LINE", grid_line),
        ("TIMES", format!("[{}]", times.iter().map(|t| format!("{t:?}")).collect::<Vec<_>>().join(", "))),
        ("SAMPLER_LINE", options.sampler.label().to_string()),
        ("PLAN", plan_rows(&plan, &weights)),
        ("EQUIVALENTS", library_equivalents::comment_lines(options).join("\n")),
        ("SCORE_CODE", score_code),
        ("GUIDANCE_CALL", guidance_call),
    ];
    let mut text = TEMPLATE.to_string();
    for (name, value) in fields {
        text = text.replace(&format!("{{{{{name}}}}}"), &value);
    }
    debug_assert!(!text.contains("{{"), "every placeholder of the template is filled");
    Ok(text)
}

/// `name=value` of every option that shapes the run, in the table's order, wrapped into lines
/// of the docstring.
fn settings_line(session: &Session) -> String {
    let value = serde_json::to_value(session.options()).expect("options serialise");
    let mut parts: Vec<String> = options::FIELDS
        .iter()
        .filter(|field| !DISPLAY_ONLY.contains(field))
        .filter_map(|&field| match value.get(field)? {
            serde_json::Value::String(text) => Some(format!("{field}={text}")),
            other => Some(format!("{field}={other}")),
        })
        .collect();
    if session.drawing_points().is_some() {
        parts.push("(with a drawing in place of the dataset)".into());
    }
    let mut lines = vec![String::new()];
    for part in parts {
        let line = lines.last_mut().expect("one line at least");
        if !line.is_empty() && line.len() + 1 + part.len() > SETTINGS_WIDTH {
            lines.push(part);
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&part);
        }
    }
    lines.join("\n    ")
}

/// Width of the settings lines in the script's docstring.
const SETTINGS_WIDTH: usize = 92;

/// A Python float literal of an f32 (shortest round trip; non-finite values spelled out).
fn py(x: f32) -> String {
    if x.is_finite() {
        format!("{x:?}")
    } else if x.is_nan() {
        "float(\"nan\")".into()
    } else if x > 0.0 {
        "float(\"inf\")".into()
    } else {
        "-float(\"inf\")".into()
    }
}

/// One evaluation as the tuple of `EVALUATION_FIELDS`.
fn evaluation_tuple(e: &Evaluation, weight: f32) -> String {
    let values = [e.t_net, e.input_scale, e.alpha, e.sigma, e.eps_from_output, e.eps_from_input, weight];
    format!("({})", values.map(py).join(", "))
}

/// The plan as Python dicts, one per step, leaving out the coefficients that are 0.
fn plan_rows(plan: &[ReverseStep], weights: &[f32]) -> String {
    plan.iter()
        .enumerate()
        .map(|(i, step)| {
            let mut entries = vec![format!("\"eval1\": {}", evaluation_tuple(&step.eval1, weights[2 * i]))];
            if step.stage2 != 0 {
                entries.push(format!(
                    "\"stage2\": 1, \"eval2\": {}",
                    evaluation_tuple(&step.eval2, weights[2 * i + 1])
                ));
            }
            let scalars = [
                ("pre_noise", step.pre_noise),
                ("stage2_x", step.stage2_x),
                ("stage2_e1", step.stage2_e1),
                ("stage2_noise", step.stage2_noise),
                ("out_x", step.out_x),
                ("out_e1", step.out_e1),
                ("out_e2", step.out_e2),
                ("out_noise", step.out_noise),
                ("out_stage2_noise", step.out_stage2_noise),
                ("hist_x", step.hist_x),
                ("hist_e1", step.hist_e1),
            ];
            entries.extend(
                scalars.iter().filter(|(_, v)| *v != 0.0).map(|(k, v)| format!("\"{k}\": {}", py(*v))),
            );
            if step.out_hist.iter().any(|&h| h != 0.0) {
                entries.push(format!("\"out_hist\": ({})", step.out_hist.map(py).join(", ")));
            }
            format!("    {{{}}},  # step {i}", entries.join(", "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// alpha(t) and sigma(t) of `schedule` in Python, with the constants of `core::schedule`.
fn schedule_code(schedule: Schedule) -> String {
    match schedule {
        Schedule::VpLinear => format!(
            "# {} (Song et al. 2021, VP SDE): beta(t) = beta_min + t (beta_max - beta_min),\n\
             # alpha = exp(-B(t) / 2), sigma = sqrt(1 - exp(-B(t))), B(t) = integral of beta.\n\
             BETA_MIN, BETA_MAX = {:?}, {:?}\n\n\n\
             def integrated_beta(t):\n    return BETA_MIN * t + 0.5 * (BETA_MAX - BETA_MIN) * t * t\n\n\n\
             def alpha(t):\n    return np.exp(-0.5 * integrated_beta(t))\n\n\n\
             def sigma(t):\n    return np.sqrt(-np.expm1(-integrated_beta(t)))\n",
            schedule.label(),
            schedule::DDPM_BETA_MIN,
            schedule::DDPM_BETA_MAX
        ),
        Schedule::VpCosine => format!(
            "# {} (Nichol and Dhariwal 2021, eq. 17): alpha = cos(phi(t)) / cos(phi(0)),\n\
             # phi(t) = (t + s) / (1 + s) pi / 2, sigma = sqrt(1 - alpha^2).\n\
             OFFSET = {:?}\n\n\n\
             def phi(t):\n    return (t + OFFSET) / (1 + OFFSET) * np.pi / 2\n\n\n\
             def alpha(t):\n    return np.cos(phi(t)) / np.cos(phi(0.0))\n\n\n\
             def sigma(t):\n    # 1 - cos^2(phi)/cos^2(phi0) = sin(phi - phi0) sin(phi + phi0) / cos^2(phi0)\n    \
             return np.sqrt(np.maximum(np.sin(phi(t) - phi(0.0)) * np.sin(phi(t) + phi(0.0)), 0.0)) / np.cos(phi(0.0))\n",
            schedule.label(),
            schedule::VP_COSINE_OFFSET
        ),
        Schedule::Ve => format!(
            "# {} (Song et al. 2021, VE SDE): alpha = 1, sigma = sigma_min (sigma_max / sigma_min)^t.\n\
             SIGMA_MIN, SIGMA_MAX = {:?}, {:?}\n\n\n\
             def alpha(t):\n    return np.ones_like(np.asarray(t, float))\n\n\n\
             def sigma(t):\n    return SIGMA_MIN * np.exp(t * np.log(SIGMA_MAX / SIGMA_MIN))\n",
            schedule.label(),
            schedule::VE_SIGMA_MIN,
            schedule::VE_SIGMA_MAX
        ),
        Schedule::Edm => format!(
            "# {} (Karras et al. 2022): alpha = 1, sigma = t.\n\n\n\
             def alpha(t):\n    return np.ones_like(np.asarray(t, float))\n\n\n\
             def sigma(t):\n    return np.asarray(t, float)\n",
            schedule.label()
        ),
        Schedule::RectifiedFlow => format!(
            "# {} (Liu et al. 2023; Lipman et al. 2023): alpha = 1 - t, sigma = t.\n\n\n\
             def alpha(t):\n    return 1.0 - np.asarray(t, float)\n\n\n\
             def sigma(t):\n    return np.asarray(t, float)\n",
            schedule.label()
        ),
    }
}

/// The network as its safetensors file, with a reader and the forward pass.
fn network_code(session: &Session) -> String {
    let bytes = session.network_file();
    let encoded = hex_lines(&bytes);
    let parametrization = session.net().parametrization.name();
    let net_schedule = session.net().schedule.name();
    NETWORK_CODE
        .replace("{{NETWORK_HEX}}", &encoded)
        .replace("{{PARAMETRIZATION}}", parametrization)
        .replace("{{NET_SCHEDULE}}", net_schedule)
        .replace("{{FILE_FORMAT}}", safetensors_net::FORMAT)
        .replace("{{DATA_RADIUS}}", &format!("{:?}", crate::core::denoised_bound::DATA_RADIUS))
        .replace("{{COORDINATE_FREQUENCY_MIN}}", &py(crate::core::mlp::COORDINATE_FREQUENCY_MIN))
}

/// The mixture's components as NumPy arrays, with the exact noised score.
fn mixture_code(mixture: &GaussianMixture) -> String {
    let rows = |f: &dyn Fn(&crate::core::dataset::MixtureComponent) -> String| {
        mixture.components.iter().map(f).collect::<Vec<_>>().join(", ")
    };
    MIXTURE_CODE
        .replace("{{COMPONENTS}}", &mixture.components.len().to_string())
        .replace("{{MEANS}}", &rows(&|c| format!("({}, {})", py(c.mean[0]), py(c.mean[1]))))
        .replace(
            "{{COVARIANCES}}",
            &rows(&|c| format!("({}, {}, {})", py(c.cov_xx), py(c.cov_xy), py(c.cov_yy))),
        )
        .replace("{{DETERMINANTS}}", &rows(&|c| py(c.cov_det)))
        .replace("{{LOG_WEIGHTS}}", &rows(&|c| py(c.log_weight)))
        .replace("{{MEMBERS}}", &rows(&|c| (if c.class_member != 0 { "True" } else { "False" }).to_string()))
}

/// `bytes` in hexadecimal, in lines of [`HEX_LINE`] characters (Python's `bytes.fromhex` skips
/// the line breaks).
fn hex_lines(bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    hex.as_bytes()
        .chunks(HEX_LINE)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Characters per line of the network's bytes in the script.
const HEX_LINE: usize = 128;

const NETWORK_CODE: &str = r#"# The network: [x, sin(w_k t), cos(w_k t)] -> 64 -> SiLU -> 64 -> SiLU -> 2, w_k = 1 * 100^(k / 7)
# (with Fourier features of x too where the file has them),
# predicting {{PARAMETRIZATION}} at the time t of its schedule ({{NET_SCHEDULE}}). The bytes below are its
# safetensors file ({{FILE_FORMAT}}, docs/weights.md); --weights FILE uses another such file,
# for example one trained further in PyTorch.
NETWORK_SAFETENSORS = bytes.fromhex("""
{{NETWORK_HEX}}
""")


def read_safetensors(data):
    """Tensors and metadata of a safetensors file: an 8-byte little-endian header length, a JSON
    header (dtype, shape and byte range of each tensor, and a __metadata__ map), then the data."""
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    metadata = header.pop("__metadata__", {})
    body = data[8 + length:]
    tensors = {}
    for name, info in header.items():
        dtype = {"F32": "<f4", "F16": "<f2"}[info["dtype"]]
        begin, end = info["data_offsets"]
        tensors[name] = np.frombuffer(body[begin:end], dtype).astype(np.float32).reshape(info["shape"])
    return tensors, metadata


TENSORS, METADATA = read_safetensors(NETWORK_SAFETENSORS)


def use_weights(path):
    """Runs with the network of another safetensors file of the same layout."""
    global TENSORS, METADATA
    TENSORS, METADATA = read_safetensors(open(path, "rb").read())


def silu(a):
    return a / (np.float32(1.0) + np.exp(-a))


def network_input(x_net, t_net):
    """[x, sin(w_k t), cos(w_k t)] for the points x_net (n, 2) at the time t_net of the network."""
    low, high = float(METADATA["time_frequency_min"]), float(METADATA["time_frequency_max"])
    frequencies = (low * (high / low) ** (np.arange(8) / 7.0)).astype(np.float32)
    phase = np.float32(t_net) * frequencies
    time_features = np.concatenate([np.sin(phase), np.cos(phase)])
    return np.concatenate([x_net, np.broadcast_to(time_features, (len(x_net), 16))], axis=1)


COORDINATE_FREQUENCY_MIN = np.float32({{COORDINATE_FREQUENCY_MIN}})


def coordinate_features(x_net):
    """A network with a coordinate_features.weight tensor also sees Fourier features of x
    (Tancik et al. 2020): for each octave k, [sin w_k x, cos w_k x, sin w_k y, cos w_k y] with
    w_k = 0.5 * 2^k, each octave from the last by sin 2a = 2 sin a cos a, cos 2a = 1 - 2 sin^2 a.
    Returns them (n, 4 octaves) and their derivative d features / dx (n, 4 octaves, 2)."""
    octaves = TENSORS["coordinate_features.weight"].shape[1] // 4
    features = np.empty((len(x_net), 4 * octaves), np.float32)
    jacobian = np.zeros((len(x_net), 4 * octaves, 2), np.float32)
    sine, cosine = np.sin(COORDINATE_FREQUENCY_MIN * x_net), np.cos(COORDINATE_FREQUENCY_MIN * x_net)
    frequency = COORDINATE_FREQUENCY_MIN
    for k in range(octaves):
        for axis in range(2):
            features[:, 4 * k + 2 * axis] = sine[:, axis]
            features[:, 4 * k + 2 * axis + 1] = cosine[:, axis]
            jacobian[:, 4 * k + 2 * axis, axis] = frequency * cosine[:, axis]
            jacobian[:, 4 * k + 2 * axis + 1, axis] = -frequency * sine[:, axis]
        sine, cosine = np.float32(2) * sine * cosine, np.float32(1) - np.float32(2) * sine * sine
        frequency = frequency * np.float32(2)
    return features, jacobian


def first_layer(x_net, t_net):
    """The first layer's pre-activations (n, 64) and their derivative d a1 / dx (n, 64, 2)."""
    w0 = TENSORS["net.0.weight"]
    a1 = network_input(x_net, t_net) @ w0.T + TENSORS["net.0.bias"]
    d1 = np.broadcast_to(w0[None, :, :2], (len(x_net), w0.shape[0], 2))
    if "coordinate_features.weight" in TENSORS:
        wc = TENSORS["coordinate_features.weight"]
        features, jacobian = coordinate_features(x_net)
        a1 = a1 + features @ wc.T
        d1 = d1 + np.einsum("jf,nfd->njd", wc, jacobian)
    return a1, d1


def network(x_net, t_net, label=None):
    """The MLP's output at the points x_net (n, 2) and the time t_net of its own schedule; a
    class-conditional network adds row `label` of its class embedding (the null class last) to
    the first layer."""
    a, _ = first_layer(x_net, t_net)
    if label is not None:
        a = a + TENSORS["class_embedding.weight"][label]
    h = silu(a)
    h = silu(h @ TENSORS["net.2.weight"].T + TENSORS["net.2.bias"])
    return h @ TENSORS["net.4.weight"].T + TENSORS["net.4.bias"]


DATA_RADIUS = np.float32({{DATA_RADIUS}})  # every dataset and drawing lies within it


def within_the_data(eps, x, e):
    """eps with its denoised point x0 = (x - sigma eps) / alpha kept in the disc |x0| <= DATA_RADIUS
    (Tweedie: E[x0 | x_t] lies in the data's hull; DDPM's clipped x0, Ho et al. 2020, to a disc)."""
    alpha, sigma = np.float32(e["alpha"]), np.float32(e["sigma"])
    if not (alpha > 0 and sigma > 0):
        return eps
    x0 = (x - sigma * eps) / alpha
    squared = x0[:, 0] * x0[:, 0] + x0[:, 1] * x0[:, 1]
    outside = squared > DATA_RADIUS * DATA_RADIUS
    if not outside.any():
        return eps
    shrink = DATA_RADIUS / np.sqrt(np.where(outside, squared, np.float32(1.0)))
    edge = x0 * shrink[:, None]
    return np.where(outside[:, None], (x - alpha * edge) / sigma, eps).astype(np.float32)


def unguided_eps(x, e, label=None):
    """eps_hat = eps_from_output net(x_net) + eps_from_input x_net, x_net = input_scale x, with its
    denoised point kept in the data's disc."""
    x_net = np.float32(e["input_scale"]) * x
    out = network(x_net, e["t_net"], label)
    return within_the_data(np.float32(e["eps_from_output"]) * out + np.float32(e["eps_from_input"]) * x_net, x, e)

"#;

const MIXTURE_CODE: &str = r#"
# The Gaussian mixture sum_k w_k N(mu_k, Sigma_k) ({{COMPONENTS}} components): its noised density
# p_t = sum_k w_k N(alpha mu_k, alpha^2 Sigma_k + sigma^2 I) has the exact score
# sum_k r_k C_k^-1 (alpha mu_k - x) with responsibilities r_k. MEMBERS marks the
# components of the class guidance steers toward.
MEANS = np.array([{{MEANS}}], np.float32).reshape(-1, 2)
COVARIANCES = np.array([{{COVARIANCES}}], np.float32).reshape(-1, 3)  # Sigma_xx, Sigma_xy, Sigma_yy
DETERMINANTS = np.array([{{DETERMINANTS}}], np.float32)
LOG_WEIGHTS = np.array([{{LOG_WEIGHTS}}], np.float32)
MEMBERS = np.array([{{MEMBERS}}], bool)
CHUNK = 4096  # particles at a time: bounds the (particles, components) arrays


def component_terms(x, alpha, sigma):
    """Each component's score C_k^-1 (alpha mu_k - x) and log responsibility at the points x."""
    a2, s2 = np.float32(alpha) ** 2, np.float32(sigma) ** 2
    cxx, cxy, cyy = a2 * COVARIANCES[:, 0] + s2, a2 * COVARIANCES[:, 1], a2 * COVARIANCES[:, 2] + s2
    det = a2 * a2 * DETERMINANTS + a2 * s2 * (COVARIANCES[:, 0] + COVARIANCES[:, 2]) + s2 * s2
    d = np.float32(alpha) * MEANS[None, :, :] - x[:, None, :]
    pull = np.stack([(cyy * d[..., 0] - cxy * d[..., 1]) / det, (cxx * d[..., 1] - cxy * d[..., 0]) / det], axis=-1)
    log_r = LOG_WEIGHTS - np.float32(0.5) * (d * pull).sum(-1) - np.float32(0.5) * np.log(det)
    return pull, log_r


def weighted_score(pull, log_r, members=None):
    """sum_k r_k pull_k / sum_k r_k over all components, or over the marked ones."""
    if members is not None:
        log_r = np.where(members, log_r, -np.inf)
    r = np.exp(log_r - log_r.max(axis=1, keepdims=True))
    return (r[..., None] * pull).sum(axis=1) / r.sum(axis=1)[:, None]


def class_log_posterior_gradient(x, e):
    """grad log p_t(c | x) = grad log p_t(x | c) - grad log p_t(x): the exact classifier's gradient."""
    out = np.empty_like(x)
    for begin in range(0, len(x), CHUNK):
        pull, log_r = component_terms(x[begin:begin + CHUNK], e["alpha"], e["sigma"])
        out[begin:begin + CHUNK] = weighted_score(pull, log_r, MEMBERS) - weighted_score(pull, log_r)
    return out

"#;

const EXACT_EPS: &str = r#"
def unguided_eps(x, e):
    """eps_hat = -sigma grad log p_t(x), the exact score of the mixture."""
    out = np.empty_like(x)
    for begin in range(0, len(x), CHUNK):
        pull, log_r = component_terms(x[begin:begin + CHUNK], e["alpha"], e["sigma"])
        out[begin:begin + CHUNK] = -np.float32(e["sigma"]) * weighted_score(pull, log_r)
    return out


def use_weights(path):
    raise SystemExit("this run uses the exact score: there is no network to replace")

"#;

/// The measurement and the likelihood term of DPS and PiGDM
/// (`core::posterior_guidance::posterior_guided_eps`).
fn posterior_code(observation: &ObservationParams) -> String {
    let o = observation;
    POSTERIOR_CODE
        .replace(
            "{{ROWS}}",
            &format!("(({}, {}), ({}, {}))", py(o.row0[0]), py(o.row0[1]), py(o.row1[0]), py(o.row1[1])),
        )
        .replace("{{Y}}", &format!("({}, {})", py(o.y[0]), py(o.y[1])))
        .replace("{{NOISE_VARIANCE}}", &py(o.noise_variance))
        .replace("{{ROW_COUNT}}", &o.row_count.to_string())
        .replace("{{METHOD}}", if o.method == 1 { "dps" } else { "pigdm" })
        .replace("{{MIN_GUIDED_ALPHA}}", &py(posterior_guidance::MIN_GUIDED_ALPHA))
        .replace("{{MAX_CORRECTION}}", &py(posterior_guidance::MAX_LIKELIHOOD_CORRECTION))
}

const MLP_JACOBIAN: &str = r#"
def silu_derivative(a):
    s = np.float32(1.0) / (np.float32(1.0) + np.exp(-a))
    return s * (np.float32(1.0) + a * (np.float32(1.0) - s))


def unguided_eps_and_jacobian(x, e):
    """eps_hat and d eps_hat / dx (n, 2, 2), by forward mode through the MLP (two tangents)."""
    scale = np.float32(e["input_scale"])
    x_net = scale * x
    w2, w4 = TENSORS["net.2.weight"], TENSORS["net.4.weight"]
    a1, d_a1 = first_layer(x_net, e["t_net"])
    d1 = silu_derivative(a1)[:, :, None] * d_a1
    a2 = silu(a1) @ w2.T + TENSORS["net.2.bias"]
    d2 = silu_derivative(a2)[:, :, None] * np.einsum("jk,nkd->njd", w2, d1)
    out = silu(a2) @ w4.T + TENSORS["net.4.bias"]
    d_out = np.einsum("ok,nkd->nod", w4, d2)
    eo, ei = np.float32(e["eps_from_output"]), np.float32(e["eps_from_input"])
    return eo * out + ei * x_net, scale * (eo * d_out + ei * np.eye(2, dtype=np.float32))

"#;

const EXACT_JACOBIAN: &str = r#"
def unguided_eps_and_jacobian(x, e):
    """eps_hat and d eps_hat / dx = -sigma times the Hessian of ln p_t,
    sum_k r_k ((s_k - s)(s_k - s)^T - C_k^-1), written around the score s for accuracy."""
    alpha, sigma = np.float32(e["alpha"]), np.float32(e["sigma"])
    eps, jacobian = np.empty_like(x), np.empty((len(x), 2, 2), np.float32)
    a2, s2 = alpha * alpha, sigma * sigma
    det = a2 * a2 * DETERMINANTS + a2 * s2 * (COVARIANCES[:, 0] + COVARIANCES[:, 2]) + s2 * s2
    precision = np.stack([(a2 * COVARIANCES[:, 2] + s2) / det, -a2 * COVARIANCES[:, 1] / det,
                          (a2 * COVARIANCES[:, 0] + s2) / det])
    for begin in range(0, len(x), CHUNK):
        pull, log_r = component_terms(x[begin:begin + CHUNK], alpha, sigma)
        score = weighted_score(pull, log_r)
        r = np.exp(log_r - log_r.max(axis=1, keepdims=True))
        r = r / r.sum(axis=1, keepdims=True)
        spread = pull - score[:, None, :]
        xx = (r * (spread[..., 0] ** 2 - precision[0])).sum(axis=1)
        xy = (r * (spread[..., 0] * spread[..., 1] - precision[1])).sum(axis=1)
        yy = (r * (spread[..., 1] ** 2 - precision[2])).sum(axis=1)
        eps[begin:begin + CHUNK] = -sigma * score
        hessian = np.stack([np.stack([xx, xy], -1), np.stack([xy, yy], -1)], -2)
        jacobian[begin:begin + CHUNK] = -sigma * hessian
    return eps, jacobian

"#;

const POSTERIOR_CODE: &str = r#"
# The measurement y = A x0 + n, n ~ N(0, s^2 I), and the likelihood term of {{METHOD}}: with
# x0_hat = (x - sigma eps_hat) / alpha and J = d x0_hat / dx = (I - sigma d eps_hat / dx) / alpha,
# grad log p~(y | x_t) = J^T A^T M^-1 (y - A x0_hat), M = s^2 I for DPS (Chung et al. 2023,
# eq. 16) and M = r_t^2 A A^T + s^2 I, r_t^2 = sigma^2 / (alpha^2 + sigma^2), for PiGDM (Song et
# al. 2023). eps_hat moves by -sigma w times it (w = posterior_scale), clipped to norm
# MAX_CORRECTION; not formed below MIN_GUIDED_ALPHA (pure noise).
OBSERVE_ROWS = np.array({{ROWS}}, np.float32)  # A (a second row of zeros for one row)
OBSERVATION = np.array({{Y}}, np.float32)
NOISE_VARIANCE, ROW_COUNT, METHOD = {{NOISE_VARIANCE}}, {{ROW_COUNT}}, "{{METHOD}}"
MIN_GUIDED_ALPHA, MAX_CORRECTION = {{MIN_GUIDED_ALPHA}}, {{MAX_CORRECTION}}


def posterior_guided(x, eps, jacobian, e):
    alpha, sigma, weight = np.float32(e["alpha"]), np.float32(e["sigma"]), np.float32(e["guidance_weight"])
    if alpha < MIN_GUIDED_ALPHA:
        return eps
    x0 = (x - sigma * eps) / alpha
    d_x0 = (np.eye(2, dtype=np.float32)[None] - sigma * jacobian) / alpha  # [n, i, k] = d x0_i / d x_k
    residual = OBSERVATION - x0 @ OBSERVE_ROWS.T
    if METHOD == "dps":
        v = residual / np.float32(NOISE_VARIANCE)
    else:
        r2 = sigma * sigma / (alpha * alpha + sigma * sigma)
        m = r2 * OBSERVE_ROWS @ OBSERVE_ROWS.T + np.float32(NOISE_VARIANCE) * np.eye(2, dtype=np.float32)
        if ROW_COUNT == 1:
            v = np.stack([residual[:, 0] / m[0, 0], np.zeros(len(x), np.float32)], axis=1)
        else:
            v = residual @ np.linalg.inv(m).T
    u = v @ OBSERVE_ROWS  # A^T v
    correction = sigma * weight * np.einsum("nik,ni->nk", d_x0, u)
    norm = np.sqrt((correction ** 2).sum(axis=1))
    clip = np.where(norm > MAX_CORRECTION, MAX_CORRECTION / np.maximum(norm, 1e-30), 1.0).astype(np.float32)
    return np.where(np.isfinite(norm)[:, None], eps - clip[:, None] * correction, eps)

"#;

/// DPS or PiGDM: the likelihood term with the score's Jacobian.
const POSTERIOR_CALL: &str = r#"    if e["guidance_weight"]:
        # Conditioning on the measurement (the likelihood term above, weighted by posterior_scale):
        eps, jacobian = unguided_eps_and_jacobian(x, e)
        eps = posterior_guided(x, eps, jacobian, e)
"#;

/// Class guidance: eps - sigma w grad log p_t(c | x) (`core::guidance::guided_eps`).
const CLASSIFIER_FREE_CALL: &str = r#"    # Classifier-free guidance (Ho and Salimans 2022; w is diffusers' guidance_scale):
    # eps = eps(x, empty) + w (eps(x, c) - eps(x, empty)), class c = {{CLASS}}, the null class {{NULL}};
    # w = 1 (also outside the guidance interval) is eps(x, c) alone.
    eps = unguided_eps(x, e, {{CLASS}})
    if e["guidance_weight"] != 1.0:
        unconditional = unguided_eps(x, e, {{NULL}})
        eps = unconditional + np.float32(e["guidance_weight"]) * (eps - unconditional)
"#;

const GUIDANCE_CALL: &str = r#"    if e["guidance_weight"]:
        # Guidance toward the class (Dhariwal and Nichol 2021 with the exact classifier; with the
        # exact conditional scores this is also classifier-free guidance, Ho and Salimans 2022):
        eps = eps - np.float32(e["sigma"] * e["guidance_weight"]) * class_log_posterior_gradient(x, e)
"#;
