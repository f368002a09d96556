//! Where a run's sampler, schedule and grid exist in the libraries people use: the nearest
//! k-diffusion call (Crowson's `k_diffusion.sampling`, whose samplers integrate in the scaled
//! variable x~ = x / alpha against sigma~ = sigma / alpha with a denoiser D(x~, sigma~)) and the
//! nearest diffusers scheduler. Where none exists the text says so. "Export code" writes these
//! lines into its script.
//!
//! The exponential-integrator and ancestral samplers (DDIM, DPM-Solver++, the k-diffusion
//! family) are the same methods in sigma~ on every schedule. The samplers that integrate in the
//! schedule's own time t (Euler-Maruyama, probability-flow Euler, Heun) coincide with
//! k-diffusion's only where t = sigma~, on EDM.

use crate::app::options::Options;
use crate::core::sampler::Sampler;
use crate::core::schedule::Schedule;
use crate::core::timesteps::TimeGrid;

/// The nearest k-diffusion sampler of `sampler`: (function and keyword arguments, or `None`
/// with the reason none exists).
fn k_diffusion_call(options: &Options) -> Result<String, &'static str> {
    let (eta, s_noise, order) = (options.eta, options.s_noise, options.order);
    let ancestral = format!("eta={eta}, s_noise={s_noise}");
    Ok(match options.sampler {
        Sampler::EulerMaruyama => {
            return Err("none: k-diffusion has no Euler-Maruyama step of the reverse SDE in t \
                        (with eta = 0 it is the probability-flow Euler step, sample_euler on EDM)")
        }
        Sampler::ProbabilityFlowEuler => "sample_euler(model, x, sigmas)  # the same step on EDM (t = sigma); elsewhere sample_euler is DDIM".into(),
        Sampler::Heun => format!(
            "sample_heun(model, x, sigmas, s_churn={}, s_tmin={}, s_tmax={})  # the same on EDM (t = sigma)",
            options.churn, options.s_tmin, options.s_tmax
        ),
        Sampler::Ddim if eta == 0.0 => "sample_euler(model, x, sigmas)  # deterministic DDIM is Euler in sigma~ (Karras et al. 2022, sec. 4)".into(),
        Sampler::Ddim => return Err("none for eta > 0 (diffusers' DDIMScheduler below takes eta)"),
        Sampler::DdpmAncestral => return Err("none (diffusers' DDPMScheduler below is this step)"),
        Sampler::DpmSolver2S => "sample_dpmpp_2s_ancestral(model, x, sigmas, eta=0)  # eta = 0: DPM-Solver++(2S)".into(),
        Sampler::DpmSolver2M => "sample_dpmpp_2m(model, x, sigmas)".into(),
        Sampler::EulerAncestral => format!("sample_euler_ancestral(model, x, sigmas, {ancestral})"),
        Sampler::Dpm2 => "sample_dpm_2(model, x, sigmas)".into(),
        Sampler::Dpm2Ancestral => format!("sample_dpm_2_ancestral(model, x, sigmas, {ancestral})"),
        Sampler::DpmSolver2SAncestral => format!("sample_dpmpp_2s_ancestral(model, x, sigmas, {ancestral})"),
        Sampler::Lms => "sample_lms(model, x, sigmas, order=4)".into(),
        Sampler::Ipndm => "sample_ipndm(model, x, sigmas, max_order=4)  # ComfyUI's comfy.k_diffusion.sampling".into(),
        Sampler::Deis => format!(
            "sample_deis(model, x, sigmas, max_order={order}, deis_mode=\"tab\")  # ComfyUI's comfy.k_diffusion.sampling"
        ),
        Sampler::UniPc | Sampler::UniPcBh1 => {
            return Err("none in k-diffusion (diffusers' UniPCMultistepScheduler below)")
        }
        Sampler::DpmSolverSde => format!("sample_dpmpp_sde(model, x, sigmas, {ancestral}, r=1/2)"),
        Sampler::DpmSolver2MSde => {
            format!("sample_dpmpp_2m_sde(model, x, sigmas, {ancestral}, solver_type=\"midpoint\")")
        }
        Sampler::DpmSolver2MSdeHeun => {
            format!("sample_dpmpp_2m_sde(model, x, sigmas, {ancestral}, solver_type=\"heun\")")
        }
        Sampler::DpmSolver3MSde => format!("sample_dpmpp_3m_sde(model, x, sigmas, {ancestral})"),
    })
}

/// The nearest diffusers scheduler class and its own arguments.
fn diffusers_scheduler(options: &Options) -> Result<String, &'static str> {
    let order = options.order;
    Ok(match options.sampler {
        Sampler::EulerMaruyama if options.schedule == Schedule::VpLinear && options.eta == 1.0 => {
            "ScoreSdeVpScheduler()  # Euler-Maruyama on the VP SDE".into()
        }
        Sampler::EulerMaruyama => return Err("none for this schedule and eta"),
        Sampler::ProbabilityFlowEuler => "EulerDiscreteScheduler()  # Euler in sigma~: the same step on EDM".into(),
        Sampler::Heun => "HeunDiscreteScheduler()  # Heun in sigma~: the same on EDM".into(),
        Sampler::Ddim => format!("DDIMScheduler()  # and scheduler.step(..., eta={})", options.eta),
        Sampler::DdpmAncestral => "DDPMScheduler(variance_type=\"fixed_small\")".into(),
        Sampler::DpmSolver2S => {
            "DPMSolverSinglestepScheduler(solver_order=2, algorithm_type=\"dpmsolver++\")".into()
        }
        Sampler::DpmSolver2M => {
            "DPMSolverMultistepScheduler(solver_order=2, algorithm_type=\"dpmsolver++\")".into()
        }
        Sampler::EulerAncestral if options.eta == 1.0 => "EulerAncestralDiscreteScheduler()".into(),
        Sampler::Dpm2 => "KDPM2DiscreteScheduler()".into(),
        Sampler::Dpm2Ancestral if options.eta == 1.0 => "KDPM2AncestralDiscreteScheduler()".into(),
        Sampler::EulerAncestral | Sampler::Dpm2Ancestral => return Err("none for eta other than 1"),
        Sampler::DpmSolver2SAncestral => return Err("none"),
        Sampler::Lms => "LMSDiscreteScheduler()  # order 4 in scheduler.step(..., order=4)".into(),
        Sampler::Ipndm => "IPNDMScheduler()".into(),
        Sampler::Deis => format!("DEISMultistepScheduler(solver_order={order})"),
        Sampler::UniPc => format!("UniPCMultistepScheduler(solver_order={order}, solver_type=\"bh2\")"),
        Sampler::UniPcBh1 => format!("UniPCMultistepScheduler(solver_order={order}, solver_type=\"bh1\")"),
        Sampler::DpmSolverSde => "DPMSolverSDEScheduler()  # needs torchsde".into(),
        Sampler::DpmSolver2MSde => {
            "DPMSolverMultistepScheduler(solver_order=2, algorithm_type=\"sde-dpmsolver++\")".into()
        }
        Sampler::DpmSolver2MSdeHeun => "DPMSolverMultistepScheduler(solver_order=2, algorithm_type=\"sde-dpmsolver++\", solver_type=\"heun\")".into(),
        Sampler::DpmSolver3MSde => {
            "DPMSolverMultistepScheduler(solver_order=3, algorithm_type=\"sde-dpmsolver++\")".into()
        }
    })
}

/// diffusers' spelling of the training schedule (its discrete betas over 1,000 steps).
fn diffusers_schedule(schedule: Schedule) -> &'static str {
    match schedule {
        // beta_i = beta(i / 1000) / 1000 for beta(t) = 0.1 + 19.9 t (Song et al. 2021, app. B).
        Schedule::VpLinear => {
            "num_train_timesteps=1000, beta_schedule=\"linear\", beta_start=0.0001, beta_end=0.02"
        }
        Schedule::VpCosine => "num_train_timesteps=1000, beta_schedule=\"squaredcos_cap_v2\"",
        Schedule::Ve | Schedule::Edm => {
            "none of the beta schedules: alpha = 1 here; use the sigmas (k-diffusion) or EDMEulerScheduler"
        }
        Schedule::RectifiedFlow => "FlowMatchEulerDiscreteScheduler(shift=...) for rectified flow",
    }
}

/// diffusers' spelling of the time grid.
fn diffusers_grid(grid: TimeGrid) -> &'static str {
    match grid {
        TimeGrid::Linspace => "timestep_spacing=\"linspace\"",
        TimeGrid::Leading => "timestep_spacing=\"leading\"",
        TimeGrid::Trailing => "timestep_spacing=\"trailing\"",
        TimeGrid::Karras => "use_karras_sigmas=True",
        TimeGrid::UniformLogSnr => "use_exponential_sigmas=True",
        TimeGrid::Uniform | TimeGrid::Quadratic | TimeGrid::Polyexponential => {
            "no spacing option: pass the grid's timesteps to scheduler.set_timesteps(timesteps=...)"
        }
    }
}

/// The comment lines (each starting with `# `) that say where the run exists elsewhere.
pub fn comment_lines(options: &Options) -> Vec<String> {
    let k = match k_diffusion_call(options) {
        Ok(call) => format!("k_diffusion.sampling.{call}"),
        Err(why) => why.to_string(),
    };
    let d = match diffusers_scheduler(options) {
        Ok(scheduler) => format!("diffusers.{scheduler}"),
        Err(why) => why.to_string(),
    };
    [
        format!("k-diffusion: {k}"),
        "    with sigmas = sigma(TIMES) / alpha(TIMES) (k-diffusion appends 0 for the last step),".into(),
        "    x = sigmas[0] * noise, and model(x~, s) the denoiser x0_hat at the time of noise level s."
            .into(),
        format!("diffusers: {d}"),
        format!("    schedule: {}", diffusers_schedule(options.schedule)),
        format!("    grid: {}", diffusers_grid(options.time_grid)),
    ]
    .into_iter()
    .map(|line| format!("# {line}"))
    .collect()
}
