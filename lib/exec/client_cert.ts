/**
 * exec's client certificates: the listener behind `--tls-client-ca`.
 *
 * @module
 */

import type { Endpoint } from "../net/address.ts";
import { listenNode } from "../net/node_listen.ts";
import type { Logger } from "../io/log.ts";
import type { ServerTls } from "../net/tls.ts";

/**
 * Binds exec's listener through `node:tls`, which can ask for and check a
 * client certificate (Deno's TLS listener cannot); refusals go to the log.
 *
 * @example
 * ```ts ignore
 * import { clientCertListener } from "./client_cert.ts";
 * const listen = clientCertListener(tls, caCerts);
 * ```
 */
export function clientCertListener(
  tls: ServerTls,
  clientCa: string[],
) {
  return (at: Endpoint, logger: Logger) =>
    listenNode(at, {
      cert: tls.cert,
      key: tls.key,
      clientCa,
      onRefused: (peer, why) =>
        logger.warn("refused", { peer, reason: "tls-client-cert", error: why }),
    });
}
