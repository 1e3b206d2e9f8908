// Pays for one inference with the official x402 client (@x402/fetch + @x402/evm), as a user of the
// network would: POSTs the input, and on the 402 signs an EIP-3009 authorization in the network Token
// for the quoted price (never more than VERIGRAD_MAX_PAYMENT), pays, and prints the answer and the
// settlement.
//
// Usage: node clients/node/x402-infer.mjs <url> [<json input>]
//   url   e.g. http://127.0.0.1:9200/v1/models/verigrad/volatility/infer (the devnet's coordinator)
//   input the model's input as JSON [default: 16 returns for verigrad/volatility]
// Environment:
//   VERIGRAD_KEY           the payer's key [default: anvil's first dev key, which holds the devnet's tokens]
//   VERIGRAD_DEPLOYMENT    the deployment file naming the token [default: deployments/31338.json]
//   VERIGRAD_MAX_PAYMENT   the most one payment may be, in token wei [default: 10 tokens]
import { readFileSync } from "node:fs";
import { decodePaymentResponseHeader, wrapFetchWithPaymentFromConfig } from "@x402/fetch";
import { ExactEvmScheme } from "@x402/evm";
import { privateKeyToAccount } from "viem/accounts";

const [url, input] = process.argv.slice(2);
if (!url || url === "--help" || url === "-h") {
  console.error("usage: node clients/node/x402-infer.mjs <url> [<json input>]");
  process.exit(2);
}
// anvil's first development key: public, for local chains only.
const DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const payer = privateKeyToAccount(process.env.VERIGRAD_KEY ?? DEV_KEY);
const deploymentPath = process.env.VERIGRAD_DEPLOYMENT ?? "deployments/31338.json";
let deployment;
try {
  deployment = JSON.parse(readFileSync(deploymentPath, "utf8"));
} catch (error) {
  console.error(`cannot read the deployment ${deploymentPath} (is the devnet running?): ${error.message}`);
  process.exit(1);
}
const network = `eip155:${deployment.chainId}`;
const maxPayment = process.env.VERIGRAD_MAX_PAYMENT ?? (10n * 10n ** 18n).toString();
const returns = Array.from({ length: 16 }, (_, i) => `0.0${(i % 7) + 1}`);
const body = input ?? JSON.stringify({ numbers: [{ name: "returns", shape: [1, 16], values: returns }] });

const pay = wrapFetchWithPaymentFromConfig(fetch, {
  schemes: [{ network, client: new ExactEvmScheme(payer) }],
  spendControls: { allowedAssets: [{ network, asset: deployment.token, maxAmountPerPayment: maxPayment }] },
});
let response;
try {
  response = await pay(url, { method: "POST", headers: { "content-type": "application/json" }, body });
} catch (error) {
  console.error(`payment failed: ${error.message}`);
  process.exit(1);
}
const text = await response.text();
if (!response.ok) {
  console.error(`HTTP ${response.status}: ${text}`);
  process.exit(1);
}
console.log(JSON.stringify(JSON.parse(text), null, 2));
const served = response.headers.get("x-verigrad-worker");
const header = response.headers.get("PAYMENT-RESPONSE");
if (header) {
  const settlement = decodePaymentResponseHeader(header);
  console.error(`paid by ${payer.address}${served ? ` to worker ${served}` : ""}: settled in ${settlement.transaction}`);
}
