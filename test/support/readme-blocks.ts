/** The fenced code blocks of one `## ` section of a Markdown file, in order, with their info string. */
export function sectionCodeBlocks(markdown: string, heading: string): { lang: string; code: string }[] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(`## ${heading}`);
  if (start < 0) throw new Error(`no "## ${heading}" section`);
  const end = lines.findIndex((line, i) => i > start && line.startsWith('## '));
  const section = lines.slice(start + 1, end < 0 ? undefined : end);
  const blocks: { lang: string; code: string }[] = [];
  let open: { lang: string; lines: string[] } | undefined;
  for (const line of section) {
    const fence = line.match(/^```(\S*)\s*$/);
    if (fence === null) {
      open?.lines.push(line);
    } else if (open === undefined) {
      open = { lang: fence[1] ?? '', lines: [] };
    } else {
      blocks.push({ lang: open.lang, code: `${open.lines.join('\n')}\n` });
      open = undefined;
    }
  }
  return blocks;
}

/** What a block promises: the text after `# ` on its `curl` lines, up to an aside in parentheses. */
export function promisedOutputs(code: string): string[] {
  return code
    .split('\n')
    .filter((line) => /^curl\s/.test(line) && line.includes('#'))
    .map((line) => (line.split('#')[1] ?? '').replace(/\(.*\)/, '').trim());
}
