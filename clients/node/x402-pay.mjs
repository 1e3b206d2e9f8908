// Pays a verigrad worker for inference with the official x402 client (@x402/fetch + @x402/evm) and a
// viem account, unchanged: the worker answers 402, the client signs an EIP-3009 authorization in the
// network Token, and the worker verifies, runs the model, settles on chain and answers.
//
// Setup first (as a deployer would): every model the worker lists without a price gets a release in
// the ModelRegistry, and the payer gets tokens. Then the checks: the unpaid 402, a paid inference and
// a paid embedding, each settlement mined and charged exactly once.
//
// Usage: node x402-pay.mjs <worker-url> <rpc-url> <deployments/<file>.json>
// The worker must run with --price-refresh 1 so that it sees the new releases quickly.
import { readFileSync } from "node:fs";
import { decodePaymentResponseHeader, wrapFetchWithPaymentFromConfig } from "@x402/fetch";
import { ExactEvmScheme } from "@x402/evm";
import { createPublicClient, createWalletClient, defineChain, http, parseAbi, parseEventLogs } from "viem";
import { privateKeyToAccount } from "viem/accounts";

const [workerUrl, rpcUrl, deploymentPath] = process.argv.slice(2);
if (!workerUrl || !rpcUrl || !deploymentPath) {
  console.error("usage: node x402-pay.mjs <worker-url> <rpc-url> <deployments/<file>.json>");
  process.exit(2);
}
const deployment = JSON.parse(readFileSync(deploymentPath, "utf8"));

// anvil's development keys 0 (deployer, holds the supply) and 2 (the payer): public test keys.
const owner = privateKeyToAccount("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
const payer = privateKeyToAccount("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a");
const chain = defineChain({
  id: deployment.chainId,
  name: "anvil",
  nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: { default: { http: [rpcUrl] } },
});
const publicClient = createPublicClient({ chain, transport: http() });
const ownerClient = createWalletClient({ account: owner, chain, transport: http() });

const registry = parseAbi([
  "event RepositoryCreated(bytes32 indexed repoId, address indexed owner, string name)",
  "function createRepository(string name) returns (bytes32)",
  "function publishRelease(bytes32 repoId, bytes32 releaseId, string version, uint8 determinism, uint32 toleranceE6, uint8 risk, uint96 basePrice, uint16 royaltyBps)",
]);
const token = parseAbi([
  "function balanceOf(address) view returns (uint256)",
  "function transfer(address to, uint256 value) returns (bool)",
]);

function check(condition, message) {
  if (!condition) {
    console.error(`x402 check failed: ${message}`);
    process.exit(1);
  }
}

async function send(request) {
  const hash = await ownerClient.writeContract(request);
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  check(receipt.status === "success", `${request.functionName} reverted`);
  return receipt;
}

async function catalog() {
  const response = await fetch(`${workerUrl}/v1/models`);
  check(response.ok, `GET /v1/models: ${response.status}`);
  return (await response.json()).data;
}

// Setup: release every unpriced model at 0.01 VGD and fund the payer.
const price = 10n ** 16n;
for (const model of await catalog()) {
  if (model.price !== null) continue;
  const created = await send({ address: deployment.modelRegistry, abi: registry, functionName: "createRepository", args: [model.name] });
  const [{ args }] = parseEventLogs({ abi: registry, logs: created.logs, eventName: "RepositoryCreated" });
  await send({
    address: deployment.modelRegistry,
    abi: registry,
    functionName: "publishRelease",
    args: [args.repoId, model.id, model.version, 0, 0, 0, price, 500],
  });
}
await send({ address: deployment.token, abi: token, functionName: "transfer", args: [payer.address, 10n ** 18n] });
for (let tries = 0; (await catalog()).some((m) => m.price === null); tries++) {
  check(tries < 50, "the worker did not pick up the prices (is --price-refresh 1 set?)");
  await new Promise((resolve) => setTimeout(resolve, 200));
}

const balance = (who) => publicClient.readContract({ address: deployment.token, abi: token, functionName: "balanceOf", args: [who] });
const returns = Array.from({ length: 16 }, (_, i) => `0.0${(i % 7) + 1}`);
const inference = {
  url: `${workerUrl}/v1/models/verigrad/volatility/infer`,
  body: { numbers: [{ name: "returns", shape: [1, 16], values: returns }] },
};
const embedding = { url: `${workerUrl}/v1/embeddings`, body: { model: "verigrad/minilm", input: ["gm", "wagmi"] } };
const post = (fetcher, { url, body }) =>
  fetcher(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

// Unpaid: 402 with the requirements in PAYMENT-REQUIRED.
const unpaid = await post(fetch, inference);
check(unpaid.status === 402, `unpaid status ${unpaid.status}`);
const required = JSON.parse(Buffer.from(unpaid.headers.get("PAYMENT-REQUIRED"), "base64").toString());
check(required.x402Version === 2 && required.accepts[0].network === `eip155:${deployment.chainId}`, "PAYMENT-REQUIRED");

// Paid with the official client.
const fetchWithPayment = wrapFetchWithPaymentFromConfig(fetch, {
  schemes: [{ network: `eip155:${deployment.chainId}`, client: new ExactEvmScheme(payer) }],
  // The client pays only assets it knows unless told otherwise: allow VGD, at most 0.05 a payment.
  spendControls: {
    allowedAssets: [{ network: `eip155:${deployment.chainId}`, asset: deployment.token, maxAmountPerPayment: (5n * price).toString() }],
  },
});
for (const [name, request, read] of [
  ["inference", inference, (out) => out.numbers[0].name === "volatility" && out.outputHash.length === 66],
  ["embeddings", embedding, (out) => out.data.length === 2 && out.data[0].embedding.length === 384],
]) {
  const before = await balance(payer.address);
  const response = await post(fetchWithPayment, request);
  const text = await response.text();
  check(response.status === 200, `${name}: status ${response.status}: ${text}`);
  check(read(JSON.parse(text)), `${name}: unexpected output ${text.slice(0, 200)}`);
  const settlement = decodePaymentResponseHeader(response.headers.get("PAYMENT-RESPONSE"));
  check(settlement.success && settlement.payer.toLowerCase() === payer.address.toLowerCase(), `${name}: settlement ${JSON.stringify(settlement)}`);
  const receipt = await publicClient.getTransactionReceipt({ hash: settlement.transaction });
  check(receipt.status === "success", `${name}: settlement tx ${receipt.status}`);
  const after = await balance(payer.address);
  check(before - after === price, `${name}: charged ${before - after}, expected ${price}`);
  console.log(`@x402/fetch paid ${price} wei for ${name}: settled in ${settlement.transaction} (block ${receipt.blockNumber})`);
}
console.log("x402 from JavaScript: ok");
