type Json = Record<string, unknown>;

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

// Inline `code` spans of the summaries and descriptions; everything else stays plain text.
const inline = (text: string) => escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');

const schemaBlock = (label: string, schema: unknown) =>
  `<details><summary>${escapeHtml(label)}</summary><pre>${escapeHtml(JSON.stringify(schema, null, 2))}</pre></details>`;

function renderOperation(method: string, path: string, op: Json): string {
  const isPublic = Array.isArray(op.security) && op.security.length === 0;
  const parameters = (op.parameters as Json[] | undefined) ?? [];
  const body = op.requestBody as { required?: boolean; description?: string; content: Record<string, { schema: unknown }> } | undefined;
  const responses = op.responses as Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
  const rows = parameters
    .map((p) => {
      const schema = p.schema as Json;
      const type = [schema.type, schema.format].filter(Boolean).join(', ') || 'any';
      const extra = schema.enum ? ` one of ${(schema.enum as unknown[]).join(' | ')}` : '';
      return `<tr><td><code>${escapeHtml(String(p.name))}</code></td><td>${escapeHtml(String(p.in))}</td><td>${p.required ? 'yes' : 'no'}</td><td>${escapeHtml(type + extra)}</td></tr>`;
    })
    .join('');
  return `<section class="op" id="${escapeHtml(String(op.operationId))}">
<h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code>${isPublic ? ' <span class="pub">public</span>' : ''}</h3>
<p>${inline(String(op.summary ?? ''))}</p>${op.description ? `<p>${inline(String(op.description))}</p>` : ''}
${rows ? `<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th></tr>${rows}</table>` : ''}
${body ? `<h4>Request body${body.required ? '' : ' (optional)'}</h4>${body.description ? `<p>${inline(body.description)}</p>` : ''}${Object.entries(body.content).map(([type, media]) => schemaBlock(type, media.schema)).join('')}` : ''}
<h4>Responses</h4><ul>${Object.entries(responses)
    .map(([status, r]) => `<li><b>${escapeHtml(status)}</b> ${inline(r.description)}${Object.entries(r.content ?? {}).map(([type, media]) => schemaBlock(type, media.schema)).join('')}</li>`)
    .join('')}</ul>
</section>`;
}

/** A self-contained HTML page (no scripts, no external assets) listing every operation of the document. */
export function renderDocsPage(document: Json): string {
  const info = document.info as { title: string; version: string; description?: string };
  const paths = document.paths as Record<string, Record<string, Json>>;
  const byTag = new Map<string, string[]>();
  const index: string[] = [];
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = (op.tags as string[] | undefined)?.[0] ?? 'other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)!.push(renderOperation(method, path, op));
      index.push(`<li><a href="#${escapeHtml(String(op.operationId))}"><span class="m ${method}">${method.toUpperCase()}</span> ${escapeHtml(path)}</a></li>`);
    }
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(info.title)} ${escapeHtml(info.version)}</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1rem 2rem;color:#1b1b1b}
code,pre{font:13px ui-monospace,monospace}pre{background:#f5f5f5;padding:.6rem;overflow:auto;max-height:28rem}
.op{border-top:1px solid #ddd;padding:.4rem 0}.m{display:inline-block;min-width:4.2em;font:bold 12px ui-monospace,monospace;color:#fff;border-radius:3px;padding:1px 4px;text-align:center}
.get{background:#2f7d32}.post{background:#1565c0}.put{background:#ef6c00}.delete{background:#c62828}.pub{font-size:12px;color:#555;border:1px solid #aaa;border-radius:3px;padding:0 4px}
table{border-collapse:collapse;margin:.4rem 0}td,th{border:1px solid #ddd;padding:2px 8px;text-align:left}ul.index{columns:2;list-style:none;padding:0}ul.index a{text-decoration:none}
</style></head><body>
<h1>${escapeHtml(info.title)} <small>${escapeHtml(info.version)}</small></h1>
<p>${inline(info.description ?? '')}</p>
<p>Authenticate with <code>Authorization: Bearer &lt;token&gt;</code> except on routes marked public. The machine-readable document is at <a href="openapi.json">openapi.json</a>.</p>
<ul class="index">${index.join('')}</ul>
${[...byTag].map(([tag, ops]) => `<h2>${escapeHtml(tag)}</h2>${ops.join('\n')}`).join('\n')}
</body></html>`;
}
