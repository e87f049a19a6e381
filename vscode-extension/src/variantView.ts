// The failing variant as a VS Code diff: which diagnostic to show, the read-only documents' paths and the title.
// Pure (no vscode import): extension.ts turns these paths into `metacompress-variant:` URIs.

export const VARIANT_SCHEME = "metacompress-variant";

/** What the server answers to metacompress.showVariant (server/presenters.py variant_payload). */
export interface VariantPayload {
  unitId: string;
  qualname: string;
  language: string;
  transforms: string[];
  description: string;
  original: string;
  variant: string;
  diff: string;
  message: string;
}

/** What a diagnostic's `data` carries for its code actions (server/presenters.py diagnostic_data). */
export interface DiagnosticData {
  unitId: string;
  qualname?: string;
  recipe: [string, number][];
  transforms?: string[];
  relations?: string[];
}

export interface DiagnosticLike {
  source?: string;
  data?: unknown;
  range: { start: { line: number }; end: { line: number } };
}

export function diagnosticData(d: DiagnosticLike): DiagnosticData | undefined {
  if (d.source !== "metacompress" || typeof d.data !== "object" || d.data === null) {
    return undefined;
  }
  const data = d.data as Record<string, unknown>;
  if (typeof data.unitId !== "string") {
    return undefined;
  }
  return {
    unitId: data.unitId,
    qualname: typeof data.qualname === "string" ? data.qualname : undefined,
    recipe: Array.isArray(data.recipe) ? (data.recipe as [string, number][]) : [],
    transforms: Array.isArray(data.transforms) ? (data.transforms as string[]) : undefined,
    relations: Array.isArray(data.relations) ? (data.relations as string[]) : undefined,
  };
}

/** The MetaCompress diagnostic on `line`, else the nearest one above it, else the first in the file. */
export function pickDiagnostic<D extends DiagnosticLike>(diagnostics: readonly D[], line: number): D | undefined {
  const ours = diagnostics.filter((d) => diagnosticData(d) !== undefined);
  if (ours.length === 0) {
    return undefined;
  }
  const on = ours.find((d) => d.range.start.line <= line && line <= d.range.end.line);
  if (on !== undefined) {
    return on;
  }
  const above = ours.filter((d) => d.range.start.line <= line).sort((a, b) => b.range.start.line - a.range.start.line);
  return above[0] ?? ours[0];
}

const EXTENSIONS: Record<string, string> = { c: ".c", java: ".java", python: ".py" };

function safeName(text: string): string {
  return text.replace(/[^\w.-]+/g, "_").slice(0, 80) || "unit";
}

/** The two documents' paths: the extension makes VS Code highlight them in the function's language. */
export function variantPaths(payload: VariantPayload, serial: number): { original: string; variant: string } {
  const ext = EXTENSIONS[payload.language] ?? ".txt";
  const stem = `/${serial}/${safeName(payload.qualname)}`;
  const transforms = safeName(payload.transforms.join("+") || "original");
  return { original: `${stem}.original${ext}`, variant: `${stem}.${transforms}${ext}` };
}

export function diffTitle(payload: VariantPayload): string {
  const what = payload.transforms.length > 0 ? payload.transforms.join(" + ") : "variant";
  return `${payload.qualname}: original ↔ ${what} (MetaCompress)`;
}

/** The arguments of metacompress.showVariant that make the server answer without opening anything itself. */
export function showVariantArguments(uri: string, data: DiagnosticData): unknown[] {
  return [uri, data.unitId, data.recipe, { present: false }];
}

export function isVariantPayload(value: unknown): value is VariantPayload {
  if (typeof value !== "object" || value === null) {
    return false;
  }
  const v = value as Record<string, unknown>;
  return typeof v.original === "string" && typeof v.variant === "string" && typeof v.qualname === "string";
}
