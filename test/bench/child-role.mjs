// One script, several processes: a benchmark starts copies of itself as children with a role name
// as the first argument (`node x.bench.mjs loadgen ...`). This runs the role or, without one, main.

/** Runs `roles[argv[2]]` as a child (which exits when its parent is gone), else `main`. */
export async function runRoleOrMain(roles, main) {
  const [first, ...rest] = process.argv.slice(2);
  if (first !== undefined && Object.hasOwn(roles, first)) {
    // A child: exit when the parent is gone, so that nothing outlives the benchmark.
    const parent = process.ppid;
    setInterval(() => process.ppid !== parent && process.exit(0), 250).unref();
    await roles[first](rest);
  } else {
    await main(process.argv.slice(2));
  }
}
