// The frontend's own strings: a table per language (en, zh-Hans) and {name} placeholders.
export type Values = Record<string, string | number>;

/** `template` with each `{name}` given in `values` filled in (others left as they are). */
export function fill(template: string, values: Values = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}

/** HA's zh, zh-Hans, zh-CN… read Simplified Chinese; every other language English. */
export function isChinese(language: string): boolean {
  return language.toLowerCase().startsWith("zh");
}

/** A lookup of `key` in the table of the user's language, placeholders filled. */
export function translator<K extends string>(en: Record<K, string>, zhHans: Record<K, string>) {
  return (language: string, key: K, values?: Values): string =>
    fill((isChinese(language) ? zhHans : en)[key], values);
}
