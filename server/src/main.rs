//! `flotilla`: the portal's one binary — serve, migrate, or run the embedded demo.
use clap::{Parser, Subcommand};
use flotilla_server::{config::Settings, serve, telemetry};
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc instead of glibc's malloc: page rendering allocates many small short-lived values on
/// every worker thread, where glibc's arenas spent a third of the CPU (BENCHMARKS.md, "Load").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "flotilla", version, about = "Flotilla: one portal for many Kubernetes clusters")]
struct Cli {
    /// Configuration file (TOML). Missing file = defaults; FLOTILLA_* variables override it.
    #[arg(long, global = true, default_value = "flotilla.toml", env = "FLOTILLA_CONFIG")]
    config: PathBuf,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the portal (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate {
        /// Revert every migration instead (destroys data).
        #[arg(long)]
        down: bool,
    },
    /// Serve the embedded demo: a local SQLite database with demo people and projects,
    /// and a simulated fleet of four clusters (set FLOTILLA_DEMO_FLEET=false to skip it).
    Demo,
    /// Manage the secret key that seals cluster credentials.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Manage local accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a local administrator (or reset an existing account's password and make it an
    /// administrator). The password is read from FLOTILLA_ADMIN_PASSWORD or from standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Administrator")]
        name: String,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Print a new random key (base64), for FLOTILLA_SECRET_KEY or a key file.
    Generate,
    /// Re-seal every cluster's credentials under a new key read from FLOTILLA_NEW_SECRET_KEY or
    /// --new-key-file; then configure the new key and restart.
    Rotate {
        #[arg(long)]
        new_key_file: Option<PathBuf>,
    },
}

async fn keys(settings: &Settings, command: KeysCommand) -> Result<(), serve::StartError> {
    match command {
        KeysCommand::Generate => {
            println!("{}", flotilla_backend::SecretKey::generate().to_text());
            Ok(())
        }
        KeysCommand::Rotate { new_key_file } => {
            let new = match (new_key_file, std::env::var("FLOTILLA_NEW_SECRET_KEY")) {
                (Some(path), _) => flotilla_backend::SecretKey::read_file(&path)?,
                (None, Ok(text)) => flotilla_backend::SecretKey::parse(&text)?,
                (None, Err(_)) => return Err(flotilla_backend::SecretError::BadKey.into()),
            };
            let n = serve::rotate_key(settings, &new).await?;
            println!("Re-sealed the credentials of {n} cluster(s) with key {}. Now configure that key and restart Flotilla.", new.fingerprint());
            Ok(())
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(&cli.config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("flotilla: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(settings.log_format);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve::run(settings, serve::Mode::Serve).await,
        Command::Demo => serve::run(settings.for_demo(), serve::Mode::Demo).await,
        Command::Migrate { down } => serve::migrate(&settings, down).await,
        Command::Keys { command } => keys(&settings, command).await,
        Command::Admin { command: AdminCommand::Create { email, name } } => serve::create_admin(&settings, &email, &name).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("flotilla: {e}");
            ExitCode::FAILURE
        }
    }
}
