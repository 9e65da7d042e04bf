// The whole line of the first header `name` (full form only) of a SIP message's text, '' when absent.
export function headerLine(text, name) {
  const start = text.indexOf(`\r\n${name}:`);
  if (start < 0) return '';
  const end = text.indexOf('\r\n', start + 2);
  return text.slice(start + 2, end < 0 ? text.length : end);
}
