/**
 * Server logging: one line per event on stderr, as text (`key=value`) or as
 * one JSON object per line, queued so that a slow stderr never stalls the
 * server. The ready line is not a log line: it goes to
 * stdout through {@linkcode printReadyLine}.
 *
 * @module
 */

import { LineQueue } from "./log_queue.ts";
import { writeAllSync } from "./streams.ts";

/** A log line's fields. Values are written as they are; strings are quoted when needed. */
export type LogFields = Record<string, string | number | boolean | null>;

/** How log lines are written: `text` for people, `json` for machines. */
export type LogFormat = "text" | "json";

/** Where finished log lines go; the default queues them for stderr. */
export type LogSink = (line: string) => void;

/** Routine lines (a connection opened) are dropped first when stderr lags. */
type Importance = "routine" | "important";

const encoder = new TextEncoder();

/** How long {@linkcode Logger.flush} waits for a slow stderr by default: 2 s. */
export const LOG_FLUSH_MS = 2000;

/** Options of a {@linkcode Logger}. */
export interface LoggerOptions {
  /** The service named in each line, e.g. `tcp-echo`. */
  service: string;
  /** Line format. @default {"text"} */
  format?: LogFormat;
  /** Silence per-event lines (`info`); warnings and errors still print. @default {false} */
  quiet?: boolean;
  /**
   * Where lines go. The default queues them for stderr (see
   * {@linkcode LineQueue}): a stalled stderr never stalls the server.
   */
  sink?: LogSink;
}

/**
 * A small structured logger for servers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Logger } from "./log.ts";
 * const lines: string[] = [];
 * const log = new Logger({ service: "tcp-echo", format: "json", sink: (l) => lines.push(l) });
 * log.info("open", { peer: "127.0.0.1:5000" });
 * assert.ok(JSON.parse(lines[0]!).event === "open");
 * ```
 */
export class Logger {
  readonly service: string;
  readonly format: LogFormat;
  readonly quiet: boolean;
  /** Where each finished line goes, with how much it matters. */
  readonly #emit: (line: string, importance: Importance) => void;
  readonly #queue: LineQueue | undefined;

  /** Creates a logger; see {@linkcode LoggerOptions}. */
  constructor(options: LoggerOptions) {
    this.service = options.service;
    this.format = options.format ?? "text";
    this.quiet = options.quiet ?? false;
    const sink = options.sink;
    if (sink) {
      this.#emit = (line) => sink(line);
      return;
    }
    const queue = new LineQueue(Deno.stderr, {
      droppedLine: (lines) =>
        formatLogLine(
          this.format,
          { level: "warn", service: this.service, event: "log-dropped" },
          { lines, reason: "stderr is not keeping up" },
        ),
    });
    this.#queue = queue;
    this.#emit = (line, importance) => queue.push(line, importance);
  }

  /**
   * Waits until the lines queued for stderr are written, at most
   * `timeoutMs`; false if some are still waiting. A server calls it before
   * it exits.
   */
  flush(timeoutMs: number = LOG_FLUSH_MS): Promise<boolean> {
    return this.#queue?.flush(timeoutMs) ?? Promise.resolve(true);
  }

  /**
   * Logs a routine event (a connection opened or closed); silenced by
   * `quiet`. `text`, when given, replaces the `key=value` pairs in text format.
   */
  info(event: string, fields: LogFields = {}, text?: string): void {
    if (!this.quiet) this.#write("routine", "info", event, fields, text);
  }

  /** Logs a server's lifecycle (shutdown started, stopped); not silenced by `quiet`. */
  notice(event: string, fields: LogFields = {}): void {
    this.#write("important", "info", event, fields);
  }

  /** Logs something an operator should see (a refused connection, an accept error). */
  warn(event: string, fields: LogFields = {}): void {
    this.#write("important", "warn", event, fields);
  }

  /** Logs a failure. */
  error(event: string, fields: LogFields = {}): void {
    this.#write("important", "error", event, fields);
  }

  #write(
    importance: Importance,
    level: string,
    event: string,
    fields: LogFields,
    text?: string,
  ): void {
    const line = text !== undefined && this.format === "text"
      ? `${new Date().toISOString()} ${this.service} ${text}`
      : formatLogLine(
        this.format,
        { level, service: this.service, event },
        fields,
      );
    this.#emit(line, importance);
  }
}

/**
 * Formats one log line. Text lines read
 * `2026-01-01T00:00:00.000Z tcp-echo close peer=127.0.0.1:5 bytes_in=3`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatLogLine } from "./log.ts";
 * const line = formatLogLine("text", { level: "info", service: "s", event: "e" }, { note: "a b" });
 * assert.ok(line.endsWith(' s e note="a b"'));
 * ```
 */
export function formatLogLine(
  format: LogFormat,
  head: { level: string; service: string; event: string },
  fields: LogFields,
): string {
  const time = new Date().toISOString();
  if (format === "json") return JSON.stringify({ time, ...head, ...fields });
  const level = head.level === "info" ? "" : ` ${head.level.toUpperCase()}`;
  const pairs = Object.entries(fields).map(([k, v]) =>
    ` ${k}=${formatValue(v)}`
  ).join("");
  return `${time}${level} ${head.service} ${head.event}${pairs}`;
}

function formatValue(value: string | number | boolean | null): string {
  if (typeof value !== "string") return String(value);
  return /^[\w.:\/\[\]@+-]+$/.test(value) ? value : JSON.stringify(value);
}

/**
 * Prints a server's ready line on stdout, e.g.
 * `sockit tcp-echo listening on tcp://127.0.0.1:20000`. Scripts wait for it.
 *
 * @example
 * ```ts ignore
 * import { printReadyLine } from "./log.ts";
 * printReadyLine("tcp-echo", "tcp://127.0.0.1:20000");
 * ```
 */
export function printReadyLine(service: string, where: string): void {
  writeAllSync(
    Deno.stdout,
    encoder.encode(`sockit ${service} listening on ${where}\n`),
  );
}

/** How much of a payload a log line shows: 80 characters. */
export const PREVIEW_CHARS = 80;

const lenientDecoder = new TextDecoder();

/**
 * A payload as a log shows it: decoded leniently, control characters
 * escaped, cut after 80 characters with the full size noted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { previewPayload } from "./log.ts";
 * assert.ok(previewPayload(new TextEncoder().encode("a\nb")) === "a\\nb");
 * assert.ok(previewPayload(new Uint8Array(200).fill(0x61)).endsWith("… (200 bytes)"));
 * ```
 */
export function previewPayload(data: Uint8Array): string {
  const text = lenientDecoder.decode(data.subarray(0, PREVIEW_CHARS * 4));
  const chars = Array.from(text);
  const cut = chars.length > PREVIEW_CHARS ||
    data.length > PREVIEW_CHARS * 4;
  const shown = chars.slice(0, PREVIEW_CHARS).join("");
  const escaped = JSON.stringify(shown).slice(1, -1).replace(/'/g, "\\'");
  return cut ? `${escaped}… (${data.length} bytes)` : escaped;
}
