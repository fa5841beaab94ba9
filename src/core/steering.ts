/**
 * Environment variables that steer execution: set in a process's
 * environment, they decide which program, library, module or start-up file
 * runs, or add code to it (`PATH`, `LD_PRELOAD`, `BASH_ENV`,
 * `NODE_OPTIONS`...). A secret that exports as one of them makes
 * `lockstep exec` and every deploy run what the secret's author chose, so
 * such names are refused unless lockstep.yaml allows them by name
 * (`allowVariables:`).
 *
 * Sources of the list:
 * - sudo's table of variables it removes from a command's environment
 *   (`initial_badenv_table`, plugins/sudoers/env.c, sudo 1.8 and later):
 *   IFS, CDPATH, LOCALDOMAIN, RES_OPTIONS, HOSTALIASES, NLSPATH,
 *   PATH_LOCALE, LD_*, _RLD*, SHLIB_PATH, LDR_*, LIBPATH, AUTHSTATE,
 *   DYLD_*, KRB5_CONFIG*, KRB5_KTNAME, VAR_ACE, USR_ACE, DLC_ACE,
 *   TERMINFO, TERMINFO_DIRS, TERMPATH, TERMCAP, ENV, BASH_ENV, PS4,
 *   GLOBIGNORE, BASHOPTS, SHELLOPTS, JAVA_TOOL_OPTIONS, PERLIO_DEBUG,
 *   PERLLIB, PERL5LIB, PERL5OPT, PERL5DB, FPATH, NULLCMD, READNULLCMD,
 *   ZDOTDIR, TMPPREFIX, PYTHONHOME, PYTHONPATH, PYTHONINSPECT,
 *   PYTHONUSERBASE, RUBYLIB, RUBYOPT; and values that start with `() `
 *   (exported bash functions, `BASH_FUNC_*` since Shellshock);
 * - glibc's variables that ld.so removes for set-user-id programs
 *   (`UNSECURE_ENVVARS`, sysdeps/generic/unsecvars.h): GCONV_PATH,
 *   GETCONF_DIR, GLIBC_TUNABLES, LD_*, LOCPATH, MALLOC_TRACE, NIS_PATH,
 *   RESOLV_HOST_CONF, TMPDIR, TZDIR (and sudo's names above);
 * - variables of runtimes and tools a deploy runs that load code or pick a
 *   program: `PATH` itself, Node (`NODE_OPTIONS`, which the GitHub runner
 *   also refuses in `$GITHUB_ENV`, `NODE_PATH`), Python (`PYTHONSTARTUP`,
 *   `PYTHONWARNINGS`, `PYTHONBREAKPOINT`), Java (`_JAVA_OPTIONS`,
 *   `JDK_JAVA_OPTIONS`, `CLASSPATH`), .NET (`DOTNET_STARTUP_HOOKS`,
 *   `CORECLR_PROFILER*`, `COR_PROFILER*`), OpenSSL (`OPENSSL_CONF`,
 *   `OPENSSL_ENGINES`, `OPENSSL_MODULES`), git (`GIT_SSH`,
 *   `GIT_SSH_COMMAND`, `GIT_EXEC_PATH`, `GIT_ASKPASS`, `GIT_EDITOR`,
 *   `GIT_PAGER`, `GIT_EXTERNAL_DIFF`, `GIT_PROXY_COMMAND`,
 *   `GIT_TEMPLATE_DIR`, `GIT_CONFIG*`), and the programs tools start
 *   (`SHELL`, `EDITOR`, `VISUAL`, `PAGER`, `BROWSER`, `SSH_ASKPASS`,
 *   `SUDO_ASKPASS`, `PROMPT_COMMAND`).
 */

/** Names that steer execution exactly. */
const NAMES: ReadonlySet<string> = new Set([
  // sudo, initial_badenv_table
  "IFS",
  "CDPATH",
  "LOCALDOMAIN",
  "RES_OPTIONS",
  "HOSTALIASES",
  "NLSPATH",
  "PATH_LOCALE",
  "SHLIB_PATH",
  "LIBPATH",
  "AUTHSTATE",
  "KRB5_KTNAME",
  "VAR_ACE",
  "USR_ACE",
  "DLC_ACE",
  "TERMINFO",
  "TERMINFO_DIRS",
  "TERMPATH",
  "TERMCAP",
  "ENV",
  "BASH_ENV",
  "PS4",
  "GLOBIGNORE",
  "BASHOPTS",
  "SHELLOPTS",
  "JAVA_TOOL_OPTIONS",
  "PERLIO_DEBUG",
  "PERLLIB",
  "PERL5LIB",
  "PERL5OPT",
  "PERL5DB",
  "FPATH",
  "NULLCMD",
  "READNULLCMD",
  "ZDOTDIR",
  "TMPPREFIX",
  "PYTHONHOME",
  "PYTHONPATH",
  "PYTHONINSPECT",
  "PYTHONUSERBASE",
  "RUBYLIB",
  "RUBYOPT",
  // glibc, UNSECURE_ENVVARS
  "GCONV_PATH",
  "GETCONF_DIR",
  "GLIBC_TUNABLES",
  "LOCPATH",
  "MALLOC_TRACE",
  "NIS_PATH",
  "RESOLV_HOST_CONF",
  "TMPDIR",
  "TZDIR",
  // runtimes and tools
  "PATH",
  "SHELL",
  "PROMPT_COMMAND",
  "NODE_OPTIONS",
  "NODE_PATH",
  "PYTHONSTARTUP",
  "PYTHONWARNINGS",
  "PYTHONBREAKPOINT",
  "_JAVA_OPTIONS",
  "JDK_JAVA_OPTIONS",
  "CLASSPATH",
  "DOTNET_STARTUP_HOOKS",
  "OPENSSL_CONF",
  "OPENSSL_ENGINES",
  "OPENSSL_MODULES",
  "GIT_SSH",
  "GIT_SSH_COMMAND",
  "GIT_EXEC_PATH",
  "GIT_ASKPASS",
  "GIT_EDITOR",
  "GIT_PAGER",
  "GIT_EXTERNAL_DIFF",
  "GIT_PROXY_COMMAND",
  "GIT_TEMPLATE_DIR",
  "EDITOR",
  "VISUAL",
  "PAGER",
  "BROWSER",
  "SSH_ASKPASS",
  "SUDO_ASKPASS",
]);

/** Prefixes of names that steer execution (sudo's `LD_*`, `DYLD_*`, ...). */
const PREFIXES: readonly string[] = [
  "LD_",
  "_RLD",
  "LDR_",
  "DYLD_",
  "KRB5_CONFIG",
  "BASH_FUNC_",
  "CORECLR_PROFILER",
  "COR_PROFILER",
  "GIT_CONFIG",
];

/** Whether a variable of this name steers what a process runs or loads (see the module's sources). */
export function steersExecution(name: string): boolean {
  return NAMES.has(name) || PREFIXES.some((p) => name.startsWith(p));
}

/**
 * Whether a secret may export as `name`: any name that does not steer
 * execution, and those that do when lockstep.yaml lists them under
 * `allowVariables`.
 */
export function variableAllowed(name: string, allowed: readonly string[] | undefined): boolean {
  return !steersExecution(name) || (allowed ?? []).includes(name);
}

/** The fix for a secret that exports as a steering variable. */
export function steeringFix(name: string, configFile: string): string {
  return `export it under a name that steers nothing (rename the secret, or set "env: OTHER_NAME" in its manifest), or, if it must set ${name}, allow that by name in ${configFile}: allowVariables: [${name}]`;
}
