// Writes plain JS values as block-style YAML, the way people write LiteLLM's config.yaml.
// Strings are double-quoted with JSON escapes, which YAML reads back unchanged.

function isScalar(value) {
  return value === null || typeof value !== 'object';
}

function scalar(value) {
  if (typeof value === 'string') return JSON.stringify(value);
  return value === null ? 'null' : String(value);
}

function key(name) {
  return /^[A-Za-z_][\w.-]*$/.test(name) ? name : JSON.stringify(name);
}

function isEmptyContainer(value) {
  return Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0;
}

export function toYaml(value, indent = '') {
  if (isScalar(value)) return `${indent}${scalar(value)}\n`;
  if (isEmptyContainer(value)) return `${indent}${Array.isArray(value) ? '[]' : '{}'}\n`;
  if (Array.isArray(value)) {
    return value.map((item) => {
      if (isScalar(item) || isEmptyContainer(item)) return toYaml(item, `${indent}- `);
      // The nested block's first line takes the dash in place of its indentation.
      return `${indent}- ${toYaml(item, `${indent}  `).slice(indent.length + 2)}`;
    }).join('');
  }
  return Object.entries(value)
    .filter(([, item]) => item !== undefined)
    .map(([name, item]) => {
      if (isScalar(item) || isEmptyContainer(item)) return toYaml(item, `${indent}${key(name)}: `);
      return `${indent}${key(name)}:\n${toYaml(item, `${indent}  `)}`;
    })
    .join('');
}
