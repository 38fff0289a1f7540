//! The `ax` binary: a thin shell over the library.
fn main() -> std::process::ExitCode {
    ax::cli::main()
}
