// An independent verifier of Authgate's access tokens: Node's built-in `crypto` alone, no JOSE
// library, nothing shared with the service. Reads {"jwks", "tokens", "now", "issuer",
// "audience"} as JSON on stdin; writes one verdict per token: the claims, or why it is refused.
import { createPublicKey, verify } from "node:crypto";

const input = JSON.parse(await new Promise((resolve) => {
  let text = "";
  process.stdin.on("data", (chunk) => { text += chunk; });
  process.stdin.on("end", () => resolve(text));
}));

const keys = new Map(input.jwks.keys.map((jwk) => [jwk.kid, jwk]));
const decode = (part) => JSON.parse(Buffer.from(part, "base64url").toString("utf8"));

function check(token) {
  const [head, body, signature] = token.split(".");
  const header = decode(head);
  if (header.alg !== "ES256") return { refused: `algorithm ${header.alg}` };
  const jwk = keys.get(header.kid);
  if (!jwk) return { refused: "unknown kid" };
  if (jwk.kty !== "EC" || jwk.crv !== "P-256" || jwk.alg !== "ES256" || jwk.use !== "sig") {
    return { refused: "not an ES256 signing key" };
  }
  const key = createPublicKey({ key: jwk, format: "jwk" });
  const valid = verify(
    "sha256",
    Buffer.from(`${head}.${body}`),
    { key, dsaEncoding: "ieee-p1363" },
    Buffer.from(signature, "base64url"),
  );
  if (!valid) return { refused: "bad signature" };
  const claims = decode(body);
  if (claims.iss !== input.issuer) return { refused: "issuer" };
  if (claims.aud !== input.audience) return { refused: "audience" };
  if (!(input.now < claims.exp)) return { refused: "expired" };
  return { kid: header.kid, claims };
}

process.stdout.write(JSON.stringify(input.tokens.map(check)));
