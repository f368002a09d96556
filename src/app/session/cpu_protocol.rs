//! The CPU path's protocol with its Web Workers (`app::cpu_work`): a run's steps handed out as
//! work on slices of the particles, and the steps taken elsewhere taken back, with the particles
//! that left the finite range held (`core::runaway`) and the run's key checked, so stale work
//! from a run that has moved on changes nothing.

use super::*;

impl Session {
    /// Identifies the current run: it changes with every new run, and so with whatever the run
    /// samples. Work done elsewhere names it to be taken back ([`Session::accept_cpu_steps`]).
    pub fn run_key(&self) -> u64 {
        self.run_key
    }

    /// The CPU path's steps of the current run as work another copy of the module can do on a
    /// slice of the particles (`app::cpu_work`); `None` on the GPU, and for an SMC run, whose
    /// resampling couples the particles.
    pub fn cpu_work(&self) -> Option<CpuWork> {
        if self.on_gpu() || self.smc.is_some() {
            return None;
        }
        Some(CpuWork {
            score: self.options.score,
            mlp: self.net.mlp.clone(),
            mixture: self.mixture.clone(),
            guidance: self.guidance(),
            classifier_free: classifier_free(&self.options, &self.net)
                .map(|(embedding, class)| (embedding.clone(), class)),
            likelihood: self.likelihood,
            likelihood_scale: self.options.posterior_scale,
            plan: self.plan.clone(),
            seed: self.options.seed,
        })
    }

    /// The CPU path's multistep history, flat ([`HISTORY_FLOATS`] numbers per particle; `None`
    /// on the GPU): with the positions, what [`CpuWork::run`] continues from.
    pub fn cpu_history(&self) -> Option<Vec<f32>> {
        self.cpu_particles()?;
        Some(bytemuck::cast_slice(&self.history).to_vec())
    }

    /// The CPU path's state in one array, as the workers take it: every position (x, y), then
    /// every history ([`HISTORY_FLOATS`] numbers); `None` on the GPU.
    pub fn cpu_state(&self) -> Option<Vec<f32>> {
        let points = self.cpu_particles()?;
        let mut state: Vec<f32> = bytemuck::cast_slice(points).to_vec();
        state.extend_from_slice(bytemuck::cast_slice(&self.history));
        Some(state)
    }

    /// [`Session::accept_cpu_steps`] with the particles as one state ([`Session::cpu_state`]'s
    /// layout, as [`CpuWork::run_state`] leaves it).
    pub fn accept_cpu_state(
        &mut self,
        run_key: u64,
        start: usize,
        count: usize,
        state: &[f32],
    ) -> Result<bool, String> {
        let (positions, history) = split_state(state);
        self.accept_cpu_steps(run_key, start, count, positions, history)
    }

    /// Takes back `count` steps from step `start` of run `run_key` that [`CpuWork::run`] took
    /// elsewhere: every particle's new position (x, y each) and history. `Ok(false)`, and nothing
    /// changes, when the run has moved on meanwhile (a new run, or steps taken here): the work
    /// is stale. An error when the numbers do not fit the particles or the run.
    pub fn accept_cpu_steps(
        &mut self,
        run_key: u64,
        start: usize,
        count: usize,
        positions: &[f32],
        history: &[f32],
    ) -> Result<bool, String> {
        if run_key != self.run_key || start != self.step_index || self.smc.is_some() {
            return Ok(false);
        }
        let Particles::Cpu(points) = &mut self.particles else {
            return Ok(false);
        };
        if count == 0 || count > self.plan.len() - self.step_index {
            return Err(format!(
                "{count} steps from step {start} do not fit the run's {} steps",
                self.plan.len()
            ));
        }
        if positions.len() != points.len() * 2 || history.len() != points.len() * HISTORY_FLOATS {
            return Err(format!(
                "{} position and {} history numbers do not fit {} particles",
                positions.len(),
                history.len(),
                points.len()
            ));
        }
        self.held.clone_from(points);
        points.copy_from_slice(bytemuck::cast_slice(positions));
        self.history.copy_from_slice(bytemuck::cast_slice(history));
        let escaped = runaway::contain(points, &self.held);
        self.step_index += count;
        self.current_t = self.times[self.step_index];
        self.stop_if_escaped(escaped)?;
        Ok(true)
    }
}
