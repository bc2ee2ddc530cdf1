// A throw-away PKI for TLS tests, made with the openssl CLI in a temp dir:
//   ca.pem / ca.key              the test CA the client is told to trust
//   server.pem / server.key      broker certificate for 127.0.0.1 and localhost, signed by the CA
//   wronghost.pem / wronghost.key  signed by the same CA, but only for broker.invalid (host name mismatch)
//   other-ca.pem                 an unrelated CA (a client trusting only this must reject the broker)
// Keys are ECDSA P-256 (fast to make; mbedTLS on ESP32 supports it). Valid for 2 days.
import { execFileSync } from "node:child_process"
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { startMosquitto, type Mosquitto } from "./mosquitto"
import { freePort } from "./ports"

export interface TestPki {
    dir: string
    caCert: string
    otherCaCert: string
    serverCert: string
    serverKey: string
    wrongHostCert: string
    wrongHostKey: string
    /** PEM text of ca.pem, for `ca:` options. */
    caPem(): string
    otherCaPem(): string
}

function openssl(dir: string, args: string[]): void {
    execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] })
}

/** Test certificates only have to outlive one run. */
const VALIDITY = ["-days", "2"]

/** `openssl req` arguments that make a new unencrypted P-256 key in <name>.key for subject CN=<cn>. */
function newKeyRequest(name: string, cn: string): string[] {
    return ["req", ..."-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes".split(" "), "-keyout", `${name}.key`, "-subj", `/CN=${cn}`]
}

function makeCa(dir: string, name: string, cn: string): void {
    const caUsage = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]
    openssl(dir, [...newKeyRequest(name, cn), "-x509", "-out", `${name}.pem`, ...VALIDITY, ...caUsage])
}

function makeLeaf(dir: string, name: string, ca: string, cn: string, altNames: string): void {
    openssl(dir, [...newKeyRequest(name, cn), "-out", `${name}.csr`])
    const serverUsage = [
        `subjectAltName=${altNames}`,
        "basicConstraints=CA:FALSE",
        "keyUsage=critical,digitalSignature",
        "extendedKeyUsage=serverAuth",
    ]
    writeFileSync(join(dir, `${name}.ext`), serverUsage.join("\n") + "\n")
    const signedByCa = ["-CA", `${ca}.pem`, "-CAkey", `${ca}.key`, "-CAcreateserial"]
    openssl(dir, ["x509", "-req", "-in", `${name}.csr`, ...signedByCa, "-out", `${name}.pem`, ...VALIDITY, "-extfile", `${name}.ext`])
}

export function createTestPki(): TestPki {
    const dir = mkdtempSync(join(tmpdir(), "devs-link-pki-"))
    makeCa(dir, "ca", "devs-link test CA")
    makeCa(dir, "other-ca", "devs-link unrelated CA")
    makeLeaf(dir, "server", "ca", "localhost", "IP:127.0.0.1,DNS:localhost")
    makeLeaf(dir, "wronghost", "ca", "broker.invalid", "DNS:broker.invalid")
    // Mosquitto started as root reads these as the mosquitto user. Test keys only: world-readable is fine.
    chmodSync(dir, 0o755)
    for (const f of ["ca.pem", "other-ca.pem", "server.pem", "server.key", "wronghost.pem", "wronghost.key"]) chmodSync(join(dir, f), 0o644)
    return {
        dir,
        caCert: join(dir, "ca.pem"),
        otherCaCert: join(dir, "other-ca.pem"),
        serverCert: join(dir, "server.pem"),
        serverKey: join(dir, "server.key"),
        wrongHostCert: join(dir, "wronghost.pem"),
        wrongHostKey: join(dir, "wronghost.key"),
        caPem: () => readFileSync(join(dir, "ca.pem"), "utf8"),
        otherCaPem: () => readFileSync(join(dir, "other-ca.pem"), "utf8"),
    }
}

/**
 * Mosquitto lines for a TLS listener on loopback (pass as startMosquitto's extraConfig).
 * `wrongHost` serves the certificate issued for broker.invalid instead of 127.0.0.1/localhost.
 */
export function mosquittoTlsListener(port: number, pki: TestPki, opts: { wrongHost?: boolean } = {}): string {
    return [
        `listener ${port} 127.0.0.1`,
        `cafile ${pki.caCert}`,
        `certfile ${opts.wrongHost ? pki.wrongHostCert : pki.serverCert}`,
        `keyfile ${opts.wrongHost ? pki.wrongHostKey : pki.serverKey}`,
        "tls_version tlsv1.2",
    ].join("\n")
}

/** A fresh test PKI and a Mosquitto with two TLS listeners: the right certificate, and one for the wrong host name. */
export interface TlsBroker {
    pki: TestPki
    broker: Mosquitto
    tlsPort: number
    wrongHostPort: number
}

export async function startTlsMosquitto(): Promise<TlsBroker> {
    const pki = createTestPki()
    const tlsPort = await freePort()
    const wrongHostPort = await freePort()
    const broker = await startMosquitto({
        persistence: false,
        extraConfig: mosquittoTlsListener(tlsPort, pki) + "\n" + mosquittoTlsListener(wrongHostPort, pki, { wrongHost: true }),
    })
    return { pki, broker, tlsPort, wrongHostPort }
}
