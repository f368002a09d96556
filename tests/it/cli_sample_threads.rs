//! `dp-sample --threads N`: the CPU path on N threads writes the same samples, bit for bit, as
//! on one (`sampler::run_threaded`), and a thread count out of range is refused by name.

use std::process::Command;

fn dp_sample(threads: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dp-sample"))
        .args(["--particles", "500", "--steps", "6", "--sampler", "dpm_solver_3m_sde", "--threads", threads])
        .output()
        .unwrap()
}

#[test]
fn samples_do_not_depend_on_the_number_of_threads() {
    let one = dp_sample("1");
    assert!(one.status.success(), "{}", String::from_utf8_lossy(&one.stderr));
    for threads in ["2", "7"] {
        let many = dp_sample(threads);
        assert!(many.status.success());
        assert_eq!(many.stdout, one.stdout, "{threads} threads");
    }
    for bad in ["0", "257", "two"] {
        let out = dp_sample(bad);
        assert!(!out.status.success());
        let message = String::from_utf8_lossy(&out.stderr);
        assert!(message.contains("--threads") && message.contains("from 1 to 256"), "{message}");
    }
}
