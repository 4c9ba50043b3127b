import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, type Database } from '../src/db/database.js';

/**
 * The shape every module keeps, read from the sources: each module owns the tables it
 * declares in `<module>.tables.ts` (checked against the migrated database, column by column);
 * only its repository queries them; and a module reaches another only through that module's
 * service. The compiler already refuses a query builder call on another module's table
 * (repositories take `Executor<TheirTables>`); this also reads the raw SQL it cannot see.
 */
const ROOT = path.resolve(import.meta.dirname, '..');
const SRC = path.join(ROOT, 'src');
const MODULES = path.join(SRC, 'modules');

const modules = readdirSync(MODULES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

function filesOf(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = path.join(dir, d.name);
    if (d.isDirectory()) return filesOf(full);
    return /\.tsx?$/.test(d.name) ? [full] : [];
  });
}

const relative = (file: string) => path.relative(ROOT, file);

/** Source without comments, so prose about a table is not mistaken for a query of it. */
function code(file: string): string {
  return readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

interface Declared {
  module: string;
  table: string;
  columns: string[];
}

/** The tables `<module>.tables.ts` declares: `export interface <Module>Tables { users: UsersTable; … }`. */
function declaredTables(module: string): Declared[] {
  const file = path.join(MODULES, module, `${module}.tables.ts`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const interfaces = new Map([...text.matchAll(/export interface (\w+) \{([\s\S]*?)\n\}/g)].map((m) => [m[1]!, m[2]!]));
  const properties = (body: string) => [...body.matchAll(/^ {2}(\w+)\??:\s*([\w<>, |'.[\]]+);/gm)].map((m) => [m[1]!, m[2]!] as const);
  const owned = [...interfaces].find(([name]) => name.endsWith('Tables'));
  if (!owned) throw new Error(`${relative(file)} declares no <Module>Tables interface`);
  return properties(owned[1]).map(([table, type]) => {
    const body = interfaces.get(type.trim());
    if (body === undefined) throw new Error(`${relative(file)}: ${table} is typed ${type}, which the file does not declare`);
    return { module, table, columns: properties(body).map(([column]) => column).sort() };
  });
}

const declared = modules.flatMap(declaredTables);
const ownerOf = new Map(declared.map((d) => [d.table, d.module]));

/** Tables a piece of code names in a query: the query builder's calls and raw SQL's keywords. */
function tablesQueried(text: string): Set<string> {
  const found = new Set<string>();
  const builder = /\.(?:selectFrom|insertInto|updateTable|deleteFrom|innerJoin|leftJoin|rightJoin|fullJoin|mergeInto|replaceInto)\(\s*['"`]([a-z_]+)/g;
  for (const m of text.matchAll(builder)) found.add(m[1]!);
  const raw = /\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\s+([a-z_]+)\b/g;
  for (const m of text.matchAll(raw)) if (ownerOf.has(m[1]!)) found.add(m[1]!);
  return found;
}

const QUERY = /\.(?:selectFrom|insertInto|updateTable|deleteFrom)\(|\bsql\s*(?:<[^>]*>)?\s*`/;

let db: Database;
beforeAll(() => {
  db = createDatabase(inject('databaseUrl'), 1);
});
afterAll(() => db?.destroy());

describe('each module owns its tables', () => {
  it('every table of the database is declared by exactly one module, with the columns it has', async () => {
    const { rows } = await sql<{ table_name: string; column_name: string }>`
      SELECT c.table_name, c.column_name
        FROM information_schema.columns c
        JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
       WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.table_name NOT LIKE 'kysely_%'`.execute(db);
    const actual = new Map<string, string[]>();
    for (const r of rows) actual.set(r.table_name, [...(actual.get(r.table_name) ?? []), r.column_name]);

    const twice = declared.filter((d, i) => declared.findIndex((e) => e.table === d.table) !== i);
    expect(twice.map((d) => `${d.table} (also declared by ${d.module})`)).toEqual([]);
    expect([...actual.keys()].filter((t) => !ownerOf.has(t)).sort(), 'tables no module declares').toEqual([]);
    for (const d of declared) {
      expect(actual.has(d.table), `${d.module} declares ${d.table}, which no migration creates`).toBe(true);
      expect(d.columns, `the columns of ${d.table} in ${d.module}.tables.ts`).toEqual([...(actual.get(d.table) ?? [])].sort());
    }
  });

  it('a module queries only the tables it owns, and only in its repository', () => {
    const crossings: string[] = [];
    const outside: string[] = [];
    for (const module of modules) {
      for (const file of filesOf(path.join(MODULES, module))) {
        const text = code(file);
        for (const table of tablesQueried(text)) {
          if (ownerOf.get(table) !== module) crossings.push(`${relative(file)} queries ${table} (owned by ${ownerOf.get(table) ?? 'nobody'})`);
        }
        if (!file.endsWith('.repository.ts') && QUERY.test(text)) outside.push(relative(file));
      }
    }
    expect(crossings, 'queries of another module’s table').toEqual([]);
    expect(outside, 'SQL outside a repository').toEqual([]);
  });

  it('nothing outside the modules queries their tables (migrations aside)', () => {
    const others = filesOf(SRC).filter((f) => !f.startsWith(MODULES) && !f.startsWith(path.join(SRC, 'web')));
    const found = others.flatMap((file) => [...tablesQueried(code(file))].map((table) => `${relative(file)} queries ${table}`));
    expect(found).toEqual([]);
  });
});

describe('a function that takes row locks demands a transaction', () => {
  it('every repository function that locks (FOR UPDATE, ledger_post, an advisory lock) takes a Tx first', () => {
    const LOCKS = /\.forUpdate\(|FOR UPDATE|ledger_post(_many|_each)?\(|ledger_record_incomes(_each)?\(|feed_publish\(|pg_advisory_xact_lock/;
    const wrong: string[] = [];
    for (const file of filesOf(MODULES).filter((f) => f.endsWith('.repository.ts'))) {
      const text = code(file);
      const starts = [...text.matchAll(/^(export )?(?:async )?function (\w+)(?:<[^>]*>)?\(\s*(?:\w+:\s*([\w<>]+))?/gm)];
      const functions = starts.map((start, i) => ({
        exported: start[1] !== undefined,
        name: start[2]!,
        first: start[3] ?? '',
        body: text.slice(start.index, starts[i + 1]?.index ?? text.length),
      }));
      // A function locks when it says so itself or calls a function of the file that does.
      const locking = new Set<string>();
      for (let grew = true; grew; ) {
        grew = false;
        for (const f of functions) {
          if (locking.has(f.name)) continue;
          if (LOCKS.test(f.body) || [...locking].some((name) => new RegExp(`\\b${name}\\(`).test(f.body))) {
            locking.add(f.name);
            grew = true;
          }
        }
      }
      for (const f of functions) {
        if (f.exported && locking.has(f.name) && !/Tx\b/.test(f.first)) wrong.push(`${relative(file)}: ${f.name}(… ${f.first || 'no first parameter'})`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('modules reach each other only through services', () => {
  const imports = (file: string) => [...code(file).matchAll(/\bfrom\s+'([^']+)'/g)].map((m) => path.resolve(path.dirname(file), m[1]!));

  it('a module imports another module’s service (or its schemas, or auth’s Principal), nothing else of it', () => {
    const wrong: string[] = [];
    for (const module of modules) {
      for (const file of filesOf(path.join(MODULES, module))) {
        for (const target of imports(file)) {
          if (!target.startsWith(MODULES + path.sep)) continue;
          const [other, name] = path.relative(MODULES, target).split(path.sep);
          if (other === module) continue;
          if (!new RegExp(`^${other}\\.(service|schemas)\\.js$`).test(name!) && name !== 'auth.principal.js') {
            wrong.push(`${relative(file)} imports ${path.relative(SRC, target)}`);
          }
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('only route files import from src/http (no service imports the HTTP layer), and no module imports the composition root', () => {
    const wrong: string[] = [];
    for (const file of filesOf(MODULES)) {
      for (const target of imports(file)) {
        const http = target.startsWith(path.join(SRC, 'http') + path.sep);
        const root = target === path.join(SRC, 'services.js') || target === path.join(SRC, 'app.js');
        if (root || (http && !file.endsWith('.routes.ts'))) wrong.push(`${relative(file)} imports ${path.relative(SRC, target)}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
