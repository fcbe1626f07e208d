/**
 * The real-NAT lab harness: namespaces, Linux NATs with RFC 4787 behaviours, process control,
 * coturn as an independent server, and small UDP probes; describeLab/describeInterop gate every
 * suite that needs root or an external program. See test/lab/README.md.
 */
export { createLab, Lab, type LabHost, type LabNat, type LabOptions, type LabExecOptions } from './lab.js';
export { LabProcess, type ExecResult, type ExitInfo } from './lab-process.js';
export { checkIpv6Capability, checkLabCapability, describeLab, isCi, type LabCapability } from './capability.js';
export { natBehaviors, natRuleset, type NatBehavior } from './nat-rules.js';
export { serverAddresses, serverAddresses6, siteIpv6Modes, type SiteIpv6, type SiteOptions, type SiteTopology } from './topology.js';
export { ip6Ruleset, type Ip6RulesetInput } from './ipv6-rules.js';
export { startTurnServer, type TurnServer, type TurnServerOptions } from './turn-server.js';
export { waitForUdpListeners, type UdpEndpoint } from './udp-listeners.js';
export { probeHairpin, probeLoss, probeMappings, type Endpoint } from './udp-probe.js';
export { debianPackageOf, findTool, missingToolReason, packageOf, requireTool, type LabTool } from './tools.js';
export { checkPrerequisites, describeInterop, describeWhen, type NativeModule, type Prerequisites } from './prerequisites.js';
export { readLossCounters, type LossCounters } from './loss-counters.js';
export { inBatches, NATKIT_BIN, runNatkitDiagnose, startNatkitServe, type NatkitDiagnoseRun, type NatkitServeOptions } from './natkit.js';
export { runBindingFlood, type FloodOptions, type FloodResult } from './udp-flood.js';
export { runRelayPing, startRelayEcho, type RelayEndpoint, type RelayPeerOptions, type RelayPingResult } from './relay-peer.js';
export {
  parsePingOutput, runPeerPair, runPeerPing, startPeerListener, startPeerServer,
  type PeerListener, type PeerPairOptions, type PeerPairRun, type PeerPingOptions, type PeerPingRun, type PeerPingSummary, type PeerPong, type PeerServer,
} from './peer-pair.js';
export { parseSendBuffers, runRelayFloodClient, sampleFullestSendBuffer, startRelayFloodPeer, type RelayFlood, type SendBufferSample, type RelayFloodClientOptions, type RelayFloodClientResult, type RelayFloodPeer } from './relay-flood.js';
