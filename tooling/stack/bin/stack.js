#!/usr/bin/env node
'use strict';
// `pnpm stack <command>`: the local development stack (see tooling/stack/README.md).
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const stack = require('../lib/index');
const { layout, resolveStackDir } = require('../lib/state');

const USAGE = `Usage: pnpm stack <command> [options]

Commands:
  up [--only svc,...] [--json]   start what is not running, health-check, write stack.env
  status [--only svc,...] [--json]
                                 state of each service; exit 0 only when all enabled ones are healthy
  down [--purge]                 stop every process the stack started (--purge: delete the stack dir,
                                 and a PostgreSQL cluster kept outside it)
  stop <svc>                     stop one service (data kept)
  restart <svc>                  stop and start one service (e.g. the GitLab emulator after a rebuild)
  logs <svc> [-n N] [-f]         print the last N (100) lines of a service's log; -f follows it
  env                            print the generated stack.env

Services: ${stack.SERVICE_NAMES.join(', ')}. State dir: $COMPUTOR_STACK_DIR or <repo>/.stack.`;

function parseArgs(argv) {
  const args = { _: [] };
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    if (a === '--only') args.only = argv[++i];
    else if (a.startsWith('--only=')) args.only = a.slice('--only='.length);
    else if (a === '--json') args.json = true;
    else if (a === '--purge') args.purge = true;
    else if (a === '-f' || a === '--follow') args.follow = true;
    else if (a === '-n' || a === '--lines') args.lines = Number(argv[++i]);
    else if (a === '-h' || a === '--help') args.help = true;
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}\n\n${USAGE}`);
    else args._.push(a);
  }
  return args;
}

function row(s, note) {
  const where = [s.address, s.name === 'temporal' && s.url ? `ui ${s.url}` : s.url && s.name !== 'postgres' ? s.url : null]
    .filter(Boolean)
    .join('  ');
  const state = s.state === 'external' ? `external${s.healthy ? '' : ' (unreachable)'}` : s.state;
  const parts = [s.name.padEnd(9), state.padEnd(10), (s.pid ? `pid ${s.pid}` : '').padEnd(11), s.state === 'external' ? s.url : where];
  if (note) parts.push(`(${note})`);
  if (s.reason) parts.push(`[${s.reason}]`);
  if (s.detail && !s.healthy) parts.push(`- ${s.detail}`);
  return parts.join(' ').trimEnd();
}

function printServices(result, notes = {}) {
  console.log(`stack dir: ${result.stackDir}`);
  for (const s of result.services) {
    console.log(`  ${row(s, notes[s.name])}`);
    if (s.log && s.state !== 'disabled') console.log(`  ${''.padEnd(9)} log ${s.log}`);
    // Said only when it is not where the README says (a cluster outside a stack dir the postgres user cannot enter).
    if (s.dataDir && !s.dataDir.startsWith(`${result.stackDir}${path.sep}`)) console.log(`  ${''.padEnd(9)} data ${s.dataDir}`);
  }
}

async function main(argv) {
  const args = parseArgs(argv);
  const [command, ...rest] = args._;
  if (args.help || !command || command === 'help') {
    console.log(USAGE);
    return command || args.help ? 0 : 1;
  }
  const log = args.json ? (line) => console.error(line) : (line) => console.log(line);
  switch (command) {
    case 'up': {
      const started = Date.now();
      const result = await stack.up({ only: args.only, log });
      if (args.json) {
        console.log(JSON.stringify(result, null, 2));
      } else {
        const notes = Object.fromEntries(Object.entries(result.actions).map(([name, a]) => [name, a.action === 'disabled' ? '' : a.action]));
        printServices(result, notes);
        console.log(`env file: ${result.envFile}`);
        console.log(result.changed ? `up in ${((Date.now() - started) / 1000).toFixed(1)} s` : 'everything was already up and healthy: nothing changed');
      }
      return result.services.every((s) => !s.enabled || s.healthy) ? 0 : 1;
    }
    case 'status': {
      const result = await stack.status({ only: args.only });
      if (args.json) console.log(JSON.stringify(result, null, 2));
      else {
        printServices(result);
        console.log(fs.existsSync(result.envFile) ? `env file: ${result.envFile}` : 'env file: none yet (pnpm stack up)');
        console.log(result.healthy ? 'all enabled services healthy' : 'not all enabled services are healthy (pnpm stack up)');
      }
      return result.healthy ? 0 : 1;
    }
    case 'down': {
      const result = await stack.down({ purge: args.purge, log });
      if (args.json) console.log(JSON.stringify(result, null, 2));
      else {
        for (const s of result.stopped) console.log(`stopped ${s.name} (pid ${s.pid})`);
        if (result.stopped.length === 0) console.log('nothing was running');
        if (result.purged) for (const dir of result.deleted) console.log(`deleted ${dir}`);
        else console.log(`data kept in ${result.stackDir} (down --purge deletes it)`);
      }
      return 0;
    }
    case 'stop':
    case 'restart': {
      const name = rest[0];
      if (!stack.SERVICE_NAMES.includes(name)) throw new Error(`${command} needs a service: ${stack.SERVICE_NAMES.join(', ')}`);
      const stopped = await stack.stopService(name, { log });
      if (command === 'stop') {
        console.log(`${name}: ${stopped.state}`);
        return 0;
      }
      const started = await stack.startService(name, { log });
      console.log(`  ${row(started)}`);
      return started.healthy ? 0 : 1;
    }
    case 'logs': {
      const name = rest[0];
      if (!stack.SERVICE_NAMES.includes(name)) throw new Error(`logs needs a service: ${stack.SERVICE_NAMES.join(', ')}`);
      const file = layout(resolveStackDir()).logFile(name);
      if (!fs.existsSync(file)) throw new Error(`no log yet: ${file}`);
      const tailArgs = ['-n', String(args.lines || 100), ...(args.follow ? ['-F'] : []), file];
      return new Promise((resolve) => {
        const child = spawn('tail', tailArgs, { stdio: 'inherit' });
        child.on('error', (e) => {
          console.error(`tail: ${e.message}`);
          resolve(1);
        });
        child.on('close', (code) => resolve(code ?? 0));
      });
    }
    case 'env': {
      const file = layout(resolveStackDir()).envFile;
      if (!fs.existsSync(file)) throw new Error(`no env file yet: ${file} (pnpm stack up)`);
      process.stdout.write(fs.readFileSync(file, 'utf8'));
      return 0;
    }
    default:
      throw new Error(`unknown command "${command}"\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(`stack: ${error.message}`);
    process.exitCode = 1;
  },
);
