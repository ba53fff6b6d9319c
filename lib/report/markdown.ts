/**
 * Markdown for reports (CommonMark with GitHub tables). `mdText` backslash-escapes what markdown
 * would read as markup, `mdCode` makes a code span; both keep `|` from ending a table cell.
 */

/** Text shown as it is: markdown punctuation, `<` and `&` backslash-escaped, newlines as spaces. */
export function mdText(text: string): string {
  return text.replace(/[\\`*_[\]<>|#!&]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

/** A code span (`|` escaped, which GitHub tables need even inside code). */
export function mdCode(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  const body = text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  return fence === '``' ? `\`\` ${body} \`\`` : `\`${body}\``;
}

/** A table; cells are markdown already (use mdText / mdCode on what they hold). */
export function mdTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
