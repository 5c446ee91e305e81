/**
 * Every service sockit has, in help order. Adding a service is a folder
 * under `lib/` with a `command.ts`, and one line here.
 *
 * @module
 */

import type { Service } from "./cli/command.ts";
import { BENCH } from "./bench/command.ts";
import { CHAT } from "./chat/command.ts";
import { CHECK } from "./check/command.ts";
import { completionsService } from "./completions/command.ts";
import { manService } from "./man/command.ts";
import { LIMITS } from "./limits.ts";
import denoConfig from "../deno.json" with { type: "json" };
import { DEMO } from "./demo/command.ts";
import { EXEC } from "./exec/command.ts";
import { LISTEN } from "./listen/command.ts";
import { RELAY } from "./relay/command.ts";
import { TCP_ECHO } from "./tcp_echo/command.ts";
import { UDP_UPPER } from "./udp_upper/command.ts";
import { WAIT } from "./wait/command.ts";

/** The date of this version's release, as CHANGELOG.md gives it: the man page's date. */
export const RELEASE_DATE = "2026-12-07";

/** The services, in the order `sockit --help` lists them. */
export const SERVICES: readonly Service[] = [
  TCP_ECHO,
  UDP_UPPER,
  CHAT,
  EXEC,
  LISTEN,
  RELAY,
  WAIT,
  CHECK,
  BENCH,
  DEMO,
  completionsService(() => SERVICES),
  manService(() => SERVICES, denoConfig.version, RELEASE_DATE, LIMITS),
];
