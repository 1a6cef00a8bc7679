// Writes deploy/crds/keda.sh_*.yaml: KEDA's kinds as CustomResourceDefinitions with an openAPIV3Schema, for the
// offline checks of tests/StrategicAgent.Deploy.Tests (SchemaValidator reads every CRD in this folder). KEDA's own
// CRD files come from no package registry this repository uses; npm serves @kubernetes-models/keda (MIT), whose
// TypeScript declarations and compiled ajv validators are generated from KEDA's Go API types
// (github.com/kedacore/keda/v2/apis/keda/v1alpha1). This script reads the declarations for the fields (names,
// required, enums, arrays, maps, nested types) and asks the compiled validators which numbers must be integers
// (and of which format), then writes the schema inlined as a CRD does. Not needed by ./test.sh: run it only to
// upgrade (see crds/README.md):
//
//   d=$(mktemp -d) && (cd "$d" && npm install --no-audit --no-fund @kubernetes-models/keda@2.0.0 js-yaml@4)
//   NODE_PATH="$d/node_modules" node deploy/crds/keda-schema.mjs "$d/node_modules/@kubernetes-models/keda" deploy/crds
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const [packageDir, outDir] = process.argv.slice(2);
if (!packageDir || !outDir) {
  console.error("usage: node keda-schema.mjs <node_modules/@kubernetes-models/keda> <output folder>");
  process.exit(2);
}
const yaml = createRequire(path.join(packageDir, "..", "..", "x.js"))("js-yaml");
const version = JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8")).version;
const apiDir = path.join(packageDir, "keda.sh", "v1alpha1");
const validatorPrefix = "ComGithubKedacoreKedaV2ApisKedaV1alpha1";

// The kinds deploy/keda may use, with their CRD names (plural, scope) as KEDA installs them.
const kinds = [
  { kind: "ScaledObject", plural: "scaledobjects", scope: "Namespaced" },
  { kind: "ScaledJob", plural: "scaledjobs", scope: "Namespaced" },
  { kind: "TriggerAuthentication", plural: "triggerauthentications", scope: "Namespaced" },
  { kind: "ClusterTriggerAuthentication", plural: "clustertriggerauthentications", scope: "Cluster" },
];

/** The declaration of one file: its imports (local name -> module) and its first exported interface or type. */
function readDeclaration(file) {
  const text = fs.readFileSync(path.join(apiDir, `${file}.d.ts`), "utf8");
  const imports = new Map();
  for (const m of text.matchAll(/import \{ ([^}]+) \} from "([^"]+)";/g)) {
    for (const name of m[1].split(",").map(s => s.trim())) {
      imports.set(name, m[2]);
    }
  }
  const alias = text.match(/^export type I\w+ = ([^;]+);$/m);
  if (alias) {
    return { imports, alias: alias[1].trim() };
  }
  const start = text.search(/^export interface I\w+( extends \w+)? \{$/m);
  if (start < 0) {
    throw new Error(`${file}.d.ts: no exported interface or type`);
  }
  const body = text.slice(text.indexOf("{", start) + 1, text.indexOf("\n}", start));
  return { imports, properties: readProperties(body) };
}

/** `/** doc *\/ "name"?: Type;` entries of an interface body (a Type may span lines: `{ [key: string]: string; }`). */
function readProperties(body) {
  const properties = [];
  let i = 0;
  let doc = null;
  while (i < body.length) {
    if (/\s/.test(body[i])) { i++; continue; }
    if (body.startsWith("/**", i)) {
      const end = body.indexOf("*/", i);
      doc = body.slice(i + 3, end).split("\n").map(l => l.replace(/^\s*\*\s?/, "")).join(" ").replace(/\s+/g, " ").trim();
      i = end + 2;
      continue;
    }
    const head = body.slice(i).match(/^"([^"]+)"(\??): /);
    if (!head) {
      throw new Error(`cannot read property at: ${body.slice(i, i + 60)}`);
    }
    i += head[0].length;
    let depth = 0;
    let j = i;
    for (; j < body.length; j++) {
      const c = body[j];
      if (c === "{" || c === "<") depth++;
      else if (c === "}" || c === ">") depth--;
      else if (c === ";" && depth === 0) break;
    }
    properties.push({ name: head[1], optional: head[2] === "?", type: body.slice(i, j).replace(/\s+/g, " ").trim(), doc });
    doc = null;
    i = j + 1;
  }
  return properties;
}

const validators = new Map();
async function validatorOf(file) {
  if (!validators.has(file)) {
    const module = await import(pathToFileURL(path.join(packageDir, "_schemas", `${validatorPrefix}${file}.js`)).href);
    validators.set(file, module.validate);
  }
  return validators.get(file);
}

/** What the compiled validator of `file` says about a number in `property`: integer or not, and its format. */
async function numberSchema(file, property) {
  const validate = await validatorOf(file);
  const errorsFor = value => {
    validate({ [property]: value });
    return (validate.errors ?? []).filter(e => e.instancePath === `/${property}`);
  };
  const integer = errorsFor(0.5).some(e => e.keyword === "type" && e.params.type === "integer");
  if (!integer) {
    return { type: "number" };
  }
  const int32 = errorsFor(2 ** 33).some(e => e.keyword === "format" && e.params.format === "int32");
  return int32 ? { type: "integer", format: "int32" } : { type: "integer", format: "int64" };
}

/** The schema of a TypeScript type as it appears in a declaration of `file`. */
async function schemaOf(type, file, imports, property) {
  if (/^"[^"]*"( \| "[^"]*")*$/.test(type)) {
    return { type: "string", enum: [...type.matchAll(/"([^"]*)"/g)].map(m => m[1]) };
  }
  switch (type) {
    case "string": return { type: "string" };
    case "boolean": return { type: "boolean" };
    case "number": return numberSchema(file, property);
    case "any": return { "x-kubernetes-preserve-unknown-fields": true };
  }
  const array = type.match(/^Array<(.+)>$/);
  if (array) {
    return { type: "array", items: await schemaOf(array[1], file, imports, property) };
  }
  const map = type.match(/^\{ \[key: string\]: (.+); \}$/);
  if (map) {
    return { type: "object", additionalProperties: await schemaOf(map[1], file, imports, property) };
  }
  const module = imports.get(type);
  if (!module) {
    throw new Error(`${file}: unknown type ${type}`);
  }
  if (module.startsWith("./")) {
    return schemaOfFile(path.basename(module, ".js"));
  }
  if (module.endsWith("/ObjectMeta")) {
    // As in every CRD: the API server checks metadata itself.
    return { type: "object" };
  }
  if (module.endsWith("/Time")) {
    return { type: "string", format: "date-time" };
  }
  // A Kubernetes core type (autoscaling/v2 behavior, batch/v1 JobSpec): not in this package; left open.
  return { type: "object", "x-kubernetes-preserve-unknown-fields": true };
}

async function schemaOfFile(file) {
  const { imports, alias, properties } = readDeclaration(file);
  if (alias) {
    return schemaOf(alias, file, imports, null);
  }
  const schema = { type: "object", properties: {} };
  const required = [];
  for (const p of properties) {
    const child = await schemaOf(p.type, file, imports, p.name);
    schema.properties[p.name] = p.doc ? { description: p.doc, ...child } : child;
    if (!p.optional) {
      required.push(p.name);
    }
  }
  if (required.length > 0) {
    schema.required = required;
  }
  return schema;
}

for (const { kind, plural, scope } of kinds) {
  const schema = await schemaOfFile(kind);
  // apiVersion and kind are checked by the lookup (group, kind, version); status is the controller's.
  schema.properties.apiVersion = { type: "string" };
  schema.properties.kind = { type: "string" };
  schema.properties.status = { type: "object", "x-kubernetes-preserve-unknown-fields": true };
  schema.required = (schema.required ?? []).filter(r => r !== "apiVersion" && r !== "kind");
  const crd = {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.keda.sh` },
    spec: {
      group: "keda.sh",
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
      scope,
      versions: [{ name: "v1alpha1", served: true, storage: true, schema: { openAPIV3Schema: schema } }],
    },
  };
  const header = `# Generated by deploy/crds/keda-schema.mjs from npm @kubernetes-models/keda ${version} (MIT; generated from\n` +
    `# KEDA's Go API types, Apache-2.0). Do not edit: regenerate (crds/README.md).\n`;
  const file = path.join(outDir, `keda.sh_${plural}.yaml`);
  fs.writeFileSync(file, header + yaml.dump(crd, { lineWidth: 120, noRefs: true }));
  console.log(`wrote ${file}`);
}
