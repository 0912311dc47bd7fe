fn main() -> std::process::ExitCode {
    imrlint::cli::main()
}
