//! `--help` of the tools that take the playground's options lists every option of the table with
//! what it accepts (`options::help_text`, the table's own refusal text), so a sampler or grid
//! added to the table is documented there by itself.

use std::process::Command;

use diffusion_playground::app::options::FIELDS;
use diffusion_playground::core::sampler::Sampler;
use diffusion_playground::core::timesteps::TimeGrid;

#[test]
fn help_lists_every_option_with_its_allowed_values() {
    for exe in [env!("CARGO_BIN_EXE_dp-sample"), env!("CARGO_BIN_EXE_dp-likelihood")] {
        let out = Command::new(exe).arg("--help").output().unwrap();
        assert!(out.status.success(), "{exe} --help succeeds");
        let help = String::from_utf8(out.stdout).unwrap();
        assert!(help.starts_with("usage: "), "{help}");
        for field in FIELDS {
            assert!(help.contains(&format!("\n  --{field}: ")), "{exe}: --{field} is listed");
        }
        let line = |field: &str| {
            help.lines().find(|l| l.starts_with(&format!("  --{field}: "))).unwrap().to_string()
        };
        for sampler in Sampler::ALL {
            assert!(line("sampler").contains(sampler.name()), "{exe}: {} among the samplers", sampler.name());
        }
        for grid in TimeGrid::ALL {
            assert!(line("time_grid").contains(grid.name()), "{exe}: {} among the grids", grid.name());
        }
        assert!(line("order").ends_with("an integer from 2 to 3"), "{}", line("order"));
    }
}
