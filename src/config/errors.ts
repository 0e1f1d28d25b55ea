/** One thing wrong with the configuration, named by its key path in the YAML spelling. */
export interface ConfigProblem {
  /** Dotted YAML key path, e.g. `http.addr` or `http.tls.selfsigned.hosts[1]`; `''` for the file itself. */
  key: string;
  /** What is wrong, already carrying where the value came from (`(from REGISTRY_HTTP_ADDR)`, `(at FILE:LINE)`). */
  message: string;
}

/**
 * The configuration could not be loaded. The message lists every problem found, one line each, so an
 * administrator fixes them all in one go instead of restarting once per typo.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** The key path of the first problem (`''` when the file itself could not be read or parsed). */
  readonly key: string;
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.problems = problems;
    this.key = problems[0]?.key ?? '';
  }
}

function formatProblem(problem: ConfigProblem): string {
  return problem.key === '' ? problem.message : `${problem.key}: ${problem.message}`;
}
