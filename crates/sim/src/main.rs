//! `flotilla-sim`: runs a simulated Kubernetes fleet (test and demo infrastructure) and drives its
//! admin endpoint (`fault`, `nodes`, `burst` subcommands).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use flotilla_sim::{FaultMode, FleetSpec, SimOptions};
use serde_json::json;

#[derive(Parser)]
#[command(name = "flotilla-sim", about = "Flotilla fleet simulator (kube-apiserver emulator for demos and tests)")]
struct Cli {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Args)]
struct RunArgs {
    /// Fleet file (YAML); the embedded demo fleet when absent.
    #[arg(long, env = "FLOTILLA_SIM_FLEET")]
    fleet: Option<PathBuf>,
    /// Where to write the kubeconfig (one context per cluster).
    #[arg(long, default_value = "flotilla-sim.kubeconfig")]
    kubeconfig: PathBuf,
    /// Simulated seconds per real second for the day/night usage curve.
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// Delay before a scheduled pod turns Running.
    #[arg(long, default_value_t = 1000)]
    pod_start_delay_ms: u64,
    /// Port of the plain-HTTP admin endpoint on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 0)]
    admin_port: u16,
    /// Watch history kept per cluster.
    #[arg(long, default_value_t = 10_000)]
    history: usize,
}

#[derive(Subcommand)]
enum Cmd {
    /// Set a cluster's fault mode: healthy | unreachable | slow | erroring.
    Fault {
        #[arg(long)]
        admin: String,
        #[arg(long)]
        cluster: String,
        #[arg(long)]
        mode: FaultMode,
        #[arg(long)]
        latency_ms: Option<u64>,
    },
    /// Add or remove nodes.
    Nodes {
        #[arg(long)]
        admin: String,
        #[arg(long)]
        cluster: String,
        #[arg(long)]
        add: Option<u32>,
        #[arg(long)]
        remove: Option<u32>,
        #[arg(long)]
        pool: Option<String>,
    },
    /// Multiply usage for a while.
    Burst {
        #[arg(long)]
        admin: String,
        #[arg(long)]
        cluster: String,
        #[arg(long)]
        factor: f64,
        #[arg(long, default_value_t = 60)]
        seconds: u64,
    },
}

async fn admin_call(admin: &str, path: String, body: serde_json::Value) -> i32 {
    match flotilla_sim::admin::post_json(admin, &path, &body).await {
        Ok((code, text)) => {
            println!("{}", text.trim());
            if (200..300).contains(&code) { 0 } else { 1 }
        }
        Err(e) => {
            eprintln!("flotilla-sim: {e}");
            1
        }
    }
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into())).with_writer(std::io::stderr).init();
    let cli = Cli::parse();
    let code = match cli.cmd {
        Some(Cmd::Fault { admin, cluster, mode, latency_ms }) => admin_call(&admin, format!("/clusters/{cluster}/fault"), json!({"mode": mode, "latencyMs": latency_ms})).await,
        Some(Cmd::Nodes { admin, cluster, add, remove, pool }) => admin_call(&admin, format!("/clusters/{cluster}/nodes"), json!({"add": add, "remove": remove, "pool": pool})).await,
        Some(Cmd::Burst { admin, cluster, factor, seconds }) => admin_call(&admin, format!("/clusters/{cluster}/burst"), json!({"factor": factor, "seconds": seconds})).await,
        None => run(cli.run).await,
    };
    std::process::exit(code);
}

async fn run(a: RunArgs) -> i32 {
    let fleet = match &a.fleet {
        Some(p) => FleetSpec::from_file(p),
        None => Ok(FleetSpec::demo()),
    };
    let fleet = match fleet {
        Ok(f) => f,
        Err(e) => {
            eprintln!("flotilla-sim: {e}");
            return 2;
        }
    };
    let opts = SimOptions { pod_start_delay: Duration::from_millis(a.pod_start_delay_ms), time_scale: a.time_scale, history_limit: a.history, admin: true, ..SimOptions::default() };
    let running = match flotilla_sim::start_with_admin_port(fleet, opts, a.admin_port).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("flotilla-sim: {e}");
            return 1;
        }
    };
    if let Err(e) = running.write_kubeconfig(&a.kubeconfig) {
        eprintln!("flotilla-sim: writing kubeconfig: {e}");
        return 1;
    }
    println!("{}", running.ready_line(&a.kubeconfig.display().to_string()));
    let _ = tokio::signal::ctrl_c().await;
    running.shutdown().await;
    0
}
