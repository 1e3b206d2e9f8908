// Calls a PIPE dApp through pipe-node with viem, unchanged: RiskGate.openPosition runs the risk model
// inside the transaction; the script checks the answer the contract used against the block's committed
// PIPE result.
//
// Usage: node pipe-dapp.mjs <rpc-url> <deployments/pipe-<chainId>.json>
import { readFileSync } from "node:fs";
import { createPublicClient, createWalletClient, defineChain, http, parseAbi, parseEventLogs } from "viem";
import { privateKeyToAccount } from "viem/accounts";

const [rpcUrl, deploymentsPath] = process.argv.slice(2);
if (!rpcUrl || !deploymentsPath) {
  console.error("usage: node pipe-dapp.mjs <rpc-url> <deployments/pipe-<chainId>.json>");
  process.exit(2);
}
const deployments = JSON.parse(readFileSync(deploymentsPath, "utf8"));

// anvil's first development key (public test mnemonic): a dev key, never a real one.
const account = privateKeyToAccount("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
const chain = defineChain({
  id: deployments.chainId,
  name: "pipe-node",
  nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: { default: { http: [rpcUrl] } },
});
const publicClient = createPublicClient({ chain, transport: http() });
const walletClient = createWalletClient({ account, chain, transport: http() });

const riskGate = parseAbi([
  "struct Number { int128 value; int128 decimals; }",
  "function openPosition(uint96 collateral, uint96 debt, Number[] features) returns (uint256)",
  "function positionCount() view returns (uint256)",
  "event PositionOpened(uint256 indexed id, address indexed owner, int256 risk)",
]);

function check(condition, message) {
  if (!condition) {
    console.error(`viem PIPE check failed: ${message}`);
    process.exit(1);
  }
}

// A well-collateralised position (collateral ratio 2.5, low volatility).
const features = [
  [250n, 2n], [10n, 2n], [30n, 2n], [70n, 1n], [20n, 1n], [0n, 0n], [2n, 3n], [2n, 0n],
].map(([value, decimals]) => ({ value, decimals }));

const before = await publicClient.readContract({ address: deployments.riskGate, abi: riskGate, functionName: "positionCount" });
const { request } = await publicClient.simulateContract({
  account,
  address: deployments.riskGate,
  abi: riskGate,
  functionName: "openPosition",
  args: [250n, 100n, features],
});
const hash = await walletClient.writeContract(request);
const receipt = await publicClient.waitForTransactionReceipt({ hash });
check(receipt.status === "success", `openPosition status ${receipt.status}`);

const [opened] = parseEventLogs({ abi: riskGate, logs: receipt.logs, eventName: "PositionOpened" });
check(opened !== undefined, "no PositionOpened event");
const after = await publicClient.readContract({ address: deployments.riskGate, abi: riskGate, functionName: "positionCount" });
check(after === before + 1n, `positionCount ${before} -> ${after}`);

// The block committed to the answer the contract used, in the same transaction.
const results = await publicClient.request({ method: "pipe_getBlockResults", params: [receipt.blockNumber.toString(16).replace(/^/, "0x")] });
check(results.results.length === 1, `expected one PIPE result in block ${receipt.blockNumber}, got ${results.results.length}`);
const [answer] = results.results;
check(answer.status === "answered", `result status ${answer.status}`);
const committedRisk = BigInt(answer.output.numbers[0].values[0].replace(".", ""));
check(committedRisk === opened.args.risk, `event risk ${opened.args.risk} != committed ${committedRisk}`);
const block = await publicClient.getBlock({ blockNumber: receipt.blockNumber });
check(block.extraData === results.pipeRoot, `header extraData ${block.extraData} != PIPE root ${results.pipeRoot}`);

console.log(
  `viem: openPosition mined in block ${receipt.blockNumber} (gas ${receipt.gasUsed}); risk ${opened.args.risk} ` +
    `(6 decimals) from the model inside the transaction = committed result ${answer.requestId.slice(0, 10)}…; ` +
    `PIPE root ${results.pipeRoot.slice(0, 10)}… in extraData`,
);
