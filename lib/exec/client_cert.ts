/**
 * exec's client certificates: the listener behind `--tls-client-ca`.
 *
 * @module
 */

import type { Endpoint } from "../net/address.ts";
import { listenNode } from "../net/node_listen.ts";
import { loggerFrom } from "../net/options.ts";
import type { ServerTls } from "../net/tls.ts";

/**
 * Binds exec's listener through `node:tls`, which can ask for and check a
 * client certificate (Deno's TLS listener cannot); refusals go to the log.
 *
 * @example
 * ```ts ignore
 * import { clientCertListener } from "./client_cert.ts";
 * const listen = clientCertListener(tls, caCerts, { logFormat: "text", quiet: false });
 * ```
 */
export function clientCertListener(
  tls: ServerTls,
  clientCa: string[],
  values: { logFormat: "text" | "json"; quiet: boolean },
) {
  const logger = loggerFrom(values, "exec");
  return (at: Endpoint) =>
    listenNode(at, {
      cert: tls.cert,
      key: tls.key,
      clientCa,
      onRefused: (peer, why) =>
        logger.warn("refused", { peer, reason: "tls-client-cert", error: why }),
    });
}
