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
    let shutdown = match shutdown_signal() {
        Ok(shutdown) => shutdown,
        Err(err) => return fail(&format!("cannot handle signals: {err}")),
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
    server.run(shutdown).await;
    ExitCode::SUCCESS
}

fn fail(problem: &str) -> ExitCode {
    eprintln!("sent-mock: {problem}");
    ExitCode::from(2)
}

/// Ctrl-C or SIGTERM, whichever comes first. Both handlers are installed here, before the
/// banner tells anyone the server is up: a signal sent as soon as the banner is read must
/// find them. (Installed at the future's first poll, they missed a SIGTERM that came before
/// it, whose default action killed the process instead of ending it gracefully.)
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
