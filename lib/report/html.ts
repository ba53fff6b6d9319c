/**
 * HTML for reports, escaped by construction: every helper takes `Content`, in which a string is
 * text (escaped once, here) and only an `Html` value is markup. `Html` values come from these
 * helpers, from the `markup` template tag (which escapes what it interpolates) or, for markup made
 * by a trusted renderer such as Vega's SVG, from `trustedHtml`.
 */

/** Markup that is safe to insert as it is. */
export class Html {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

/** Text (escaped), numbers, markup, lists of them; null, undefined and false render as nothing. */
export type Content = string | number | Html | null | undefined | false | readonly Content[];

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Text as HTML, safe in element content and in quoted attribute values. The input is text, not
 * HTML: `&amp;` comes out as `&amp;amp;`, so a page shows exactly the characters it was given.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** Content as markup: strings and numbers escaped, Html as it is. */
export function render(content: Content): string {
  if (content === null || content === undefined || content === false) return '';
  if (content instanceof Html) return content.markup;
  if (typeof content === 'number') return escapeHtml(String(content));
  if (typeof content === 'string') return escapeHtml(content);
  return content.map(render).join('');
}

/** Template tag: the literal parts are markup, every interpolated value is Content. */
export function markup(strings: TemplateStringsArray, ...values: Content[]): Html {
  return new Html(strings.reduce((out, s, i) => out + render(values[i - 1]) + s));
}

/** Markup from a trusted renderer (e.g. Vega's SVG), inserted unchanged. */
export function trustedHtml(trusted: string): Html {
  return new Html(trusted);
}

export const code = (text: string): Html => markup`<code>${text}</code>`;
export const paragraph = (...content: Content[]): Html => markup`<p>${content}</p>`;
export const link = (href: string, text: Content): Html => markup`<a href="${href}">${text}</a>`;
export const list = (items: readonly Content[]): Html =>
  markup`<ul>\n${items.map((i) => markup`<li>${i}</li>\n`)}</ul>\n`;

/** Text with `backticked` spans as <code> (e.g. digests and ids in a sentence). */
export function withCode(text: string): Html {
  return new Html(
    text
      .split(/`([^`]*)`/)
      .map((part, i) => (i % 2 ? render(code(part)) : escapeHtml(part)))
      .join(''),
  );
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}h3{margin-top:1.4em}
table{border-collapse:collapse;margin:.8em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;vertical-align:top}
th{background:#f4f4f4}td.left,th.left{text-align:left}td.paper,th.paper{background:#fbf6e9;color:#6b5a2e;font-style:italic}
caption{caption-side:bottom;text-align:left;color:#555;font-size:.9em;padding-top:4px;max-width:900px}
code{font-size:.9em;word-break:break-all}figure{margin:1em 0}
figcaption{color:#555;font-size:.85em;max-width:560px}figure img.plot{max-width:100%}
.figures{display:flex;flex-wrap:wrap;gap:0 28px;align-items:flex-start}.figures figure{max-width:calc(50% - 14px)}
.gallery{display:flex;flex-wrap:wrap;gap:18px}.gallery figure{margin:0}
.gallery img{image-rendering:pixelated;image-rendering:crisp-edges;border:1px solid #ccc}
.note{background:#f6f8fa;border-left:4px solid #c9a227;padding:.5em 1em}`;

/** A whole page: title, the kit's style, the body. */
export function page(title: string, ...body: Content[]): string {
  const head = markup`<meta charset="utf-8"><title>${title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${trustedHtml(STYLE)}</style>`;
  return `<!doctype html>\n${render(markup`<html lang="en"><head>${head}</head>
<body>
<h1>${title}</h1>
${body}
</body></html>`)}\n`;
}

/** A section with a heading (level 2 by default) and an id for links. */
export function section(
  title: string,
  body: Content,
  { id, level = 2 }: { id?: string; level?: 2 | 3 | 4 } = {},
): Html {
  const h = trustedHtml(`h${level}`);
  const idAttribute = id ? markup` id="${id}"` : '';
  return markup`<section${idAttribute}><${h}>${title}</${h}>\n${body}\n</section>\n`;
}

/** A column of a table: its title; `left` for text columns; `paper` for reference values. */
export type Column = string | { title: Content; left?: boolean; paper?: boolean };

/**
 * A table. Columns marked `paper` (a reference from a publication beside the measured values)
 * are shaded and set in italics; say in the caption which setting they come from.
 */
export function table({
  columns,
  rows,
  caption,
}: {
  columns: readonly Column[];
  rows: readonly (readonly Content[])[];
  caption?: Content;
}): Html {
  const cols = columns.map((c) => (typeof c === 'string' ? { title: c } : c));
  const cls = (c: (typeof cols)[number] | undefined) => {
    const names = [c?.left ? 'left' : '', c?.paper ? 'paper' : ''].filter(Boolean).join(' ');
    return names ? markup` class="${names}"` : '';
  };
  const head = cols.map((c) => markup`<th${cls(c)}>${c.title}</th>`);
  const body = rows.map(
    (r) => markup`<tr>${r.map((v, i) => markup`<td${cls(cols[i])}>${v}</td>`)}</tr>\n`,
  );
  const top = caption ? markup`<caption>${caption}</caption>` : '';
  return markup`<table>${top}\n<tr>${head}</tr>\n${body}</table>\n`;
}

/** A list of digests as `<code>` spans, for captions. */
export function digestList(digests: readonly string[]): Html {
  return markup`${digests.map((d, i) => markup`${i ? ', ' : ''}<code>${d}</code>`)}`;
}

/**
 * A figure: an inline SVG (`svg`, trusted markup from the plot kit) or an image of a written file
 * (`src`), its caption, the digests of what it was made from, and links (e.g. to its SVG and spec).
 */
export function figure({
  svg,
  src,
  alt,
  caption,
  sources,
  links = [],
}: {
  svg?: string;
  src?: string;
  alt?: string;
  caption: Content;
  sources: readonly string[];
  links?: readonly { href: string; text: string }[];
}): Html {
  const body = svg
    ? trustedHtml(svg)
    : markup`<img class="plot" src="${src ?? ''}" alt="${alt ?? ''}">`;
  const made = sources.length ? markup`<br>Made from: ${digestList(sources)}` : '';
  const files = links.length
    ? markup`<br>${links.map((l, i) => markup`${i ? ' · ' : ''}${link(l.href, l.text)}`)}`
    : '';
  return markup`<figure>${body}<figcaption>${caption}${made}${files}</figcaption></figure>\n`;
}

/** Figures side by side, wrapping to the next row when the page is too narrow. */
export function figures(...items: Content[]): Html {
  return markup`<div class="figures">\n${items}</div>\n`;
}

/** An image of a gallery: a PNG file, its label, natural width (pixels) and source digests. */
export interface GalleryItem {
  src: string;
  label: Content;
  width?: number;
  sources?: readonly string[];
}

/**
 * Images (sample grids) side by side at a readable size: scaled up `scale` times with crisp
 * pixels (image-rendering: pixelated), at most `maxWidth` pixels wide (a fixed width when the
 * natural one is unknown); a click opens the PNG itself.
 */
export function gallery(
  items: readonly GalleryItem[],
  { scale = 3, maxWidth = 560, defaultWidth = 320 } = {},
): Html {
  const figures = items.map((item) => {
    const width = Math.round(item.width ? Math.min(maxWidth, item.width * scale) : defaultWidth);
    const image = markup`<img src="${item.src}" width="${width}" style="image-rendering:pixelated" alt="">`;
    const digests = item.sources?.length ? markup`<br>${digestList(item.sources)}` : '';
    return markup`<figure><a href="${item.src}">${image}</a><figcaption>${item.label}${digests}</figcaption></figure>\n`;
  });
  return markup`<div class="gallery">\n${figures}</div>\n`;
}
