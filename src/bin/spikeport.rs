//! `spikeport`: the command-line tool (`spikeport_app::cli`, one file per subcommand).
//! Every subcommand reads an optional TOML experiment file (`--config`, keys in
//! docs/cli.md) and command-line flags, which override the file.

fn main() -> std::process::ExitCode {
    spikeport::app::cli::main()
}
