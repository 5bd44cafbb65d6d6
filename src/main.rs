//! The `sent-mock` binary: parse the command line, set up logging, bind, serve until Ctrl-C
//! or SIGTERM.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use sent_mock::{banner, logging, Cli, Server};

fn main() -> ExitCode {
    // Before any thread allocates: the allocator's settings apply to the arenas to come.
    sent_mock::memory::tune();
    // Confined to one CPU (`taskset -c 0`, a container with one core), one thread does all the
    // work: tokio's scheduler for one thread hands tasks over without the atomics and the
    // queue stealing of its many-thread one (measured under a create flood: ~1 µs of CPU less
    // per request). Otherwise one worker per CPU.
    let one_cpu = std::thread::available_parallelism().is_ok_and(|n| n.get() == 1);
    let mut builder = if one_cpu {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    match builder.enable_all().build() {
        Ok(runtime) => runtime.block_on(serve()),
        Err(err) => fail(&format!("cannot start the runtime: {err}")),
    }
}

async fn serve() -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.log_format);
    let addr = SocketAddr::new(cli.host, cli.port);
    let config = match cli.into_config() {
        Ok(config) => config,
        Err(problem) => return fail(&problem),
    };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(err) => return fail(&format!("cannot listen on {addr}: {err}")),
    };
    let server = match Server::new(config, listener) {
        Ok(server) => server,
        Err(problem) => return fail(&problem),
    };
    let bound = server.local_addr().unwrap_or(addr);
    print!("{}", banner::banner(server.app(), bound));
    server.run(shutdown_signal()).await;
    ExitCode::SUCCESS
}

fn fail(problem: &str) -> ExitCode {
    eprintln!("sent-mock: {problem}");
    ExitCode::from(2)
}

/// Ctrl-C or SIGTERM, whichever comes first.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
