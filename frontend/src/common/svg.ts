// An SVG document (the integration's QR codes) as an <img> source.
export function svgImage(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}
