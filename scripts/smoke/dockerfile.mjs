// Reads deploy/Dockerfile for the production smoke test: the builder stage's COPY lines (what it copies from
// the build context), the runtime stage's COPY --from=builder lines, ENV, HEALTHCHECK and CMD (exec form).
// It understands the subset of Dockerfile syntax that file uses, and refuses anything else it would
// misread, so the smoke test cannot silently test something other than the image.

/** Instructions with their arguments, line continuations joined, comments dropped. */
function instructions(text) {
  const joined = text.replace(/\\\n/g, ' ');
  return joined.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((l) => {
    const m = /^(\w+)\s+(.*)$/.exec(l);
    if (!m) throw new Error(`Dockerfile: cannot read line: ${l}`);
    return { op: m[1].toUpperCase(), args: m[2].trim() };
  });
}

const stripApp = (p) => p.replace(/^\/app\//, '').replace(/^\.\//, '').replace(/\/$/, '');

function envPairs(args) {
  const env = {};
  for (const pair of args.split(/\s+/)) {
    const m = /^([A-Z_][A-Z0-9_]*)=(\S*)$/.exec(pair);
    if (!m) throw new Error(`Dockerfile: ENV ${args}: write KEY=value pairs`);
    env[m[1]] = m[2];
  }
  return env;
}

function execForm(what, args) {
  try {
    const list = JSON.parse(args);
    if (Array.isArray(list) && list.every((a) => typeof a === 'string')) return list;
  } catch { /* reported below */ }
  throw new Error(`Dockerfile: ${what} must be in exec form (a JSON array), got: ${args}`);
}

export function parseDockerfile(text) {
  const stages = [];
  for (const ins of instructions(text)) {
    if (ins.op === 'FROM') stages.push({ from: ins.args, list: [] });
    else if (!stages.length) throw new Error(`Dockerfile: ${ins.op} before FROM`);
    else stages.at(-1).list.push(ins);
  }
  if (stages.length !== 2) throw new Error(`Dockerfile: expected a builder and a runtime stage, found ${stages.length}`);
  const [build, run] = stages;
  if (!/\sAS\s+builder$/i.test(build.from)) throw new Error('Dockerfile: the first stage must be named builder');

  const builderCopies = build.list.filter((i) => i.op === 'COPY').map((i) => {
    const parts = i.args.split(/\s+/);
    if (parts.some((p) => p.startsWith('--'))) throw new Error(`Dockerfile: builder COPY ${i.args}: no flags expected`);
    return { sources: parts.slice(0, -1).map(stripApp), to: stripApp(parts.at(-1)) };
  });

  const runtimeCopies = [];
  const env = {};
  let healthcheck;
  let cmd;
  for (const i of run.list) {
    if (i.op === 'COPY') {
      const m = /^--from=builder\s+(\S+)\s+(\S+)$/.exec(i.args);
      if (!m) throw new Error(`Dockerfile: runtime COPY ${i.args}: expected COPY --from=builder <path> <path>`);
      runtimeCopies.push({ from: stripApp(m[1]), to: stripApp(m[2]) });
    } else if (i.op === 'ENV') Object.assign(env, envPairs(i.args));
    else if (i.op === 'HEALTHCHECK') {
      const m = /\bCMD\s+(\[.*\])$/.exec(i.args);
      if (!m) throw new Error(`Dockerfile: HEALTHCHECK must end in CMD [exec form]`);
      healthcheck = execForm('HEALTHCHECK CMD', m[1]);
    } else if (i.op === 'CMD') cmd = execForm('CMD', i.args);
  }
  if (!healthcheck || !cmd) throw new Error('Dockerfile: the runtime stage needs a HEALTHCHECK and a CMD');
  return { builderCopies, runtimeCopies, env, healthcheck, cmd };
}
