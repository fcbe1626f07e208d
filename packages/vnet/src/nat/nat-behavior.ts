import { VnetError } from '../errors.js';

/** RFC 4787 §4.1 (mapping) and §5 (filtering): what a mapping or a permission depends on. */
export type EndpointDependency = 'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent';

/** RFC 4787 §4.2.1: how external ports are chosen for new mappings. */
export type PortAllocation = 'preserve' | 'sequential' | 'random';

/** RFC 4787 §4.1: with several external addresses, whether one internal address keeps one external one. */
export type Pooling = 'paired' | 'arbitrary';

/** Everything that decides how a NAT treats UDP. Build one with `resolveNatBehavior`. */
export interface NatBehavior {
  readonly mapping: EndpointDependency;
  readonly filtering: EndpointDependency;
  /** `preserve` keeps the internal port when it is free, else takes the next free one. */
  readonly portAllocation: PortAllocation;
  /** Step between consecutive ports for `sequential`, negative to count down (256 models a byte-swapped counter). */
  readonly delta: number;
  /** First port `sequential` hands out (and where `preserve` starts when the source port is out of range). */
  readonly firstPort: number;
  /** Inclusive range of external ports. */
  readonly portRange: readonly [number, number];
  /** RFC 4787 §6: whether a host can reach another through the NAT's external address. */
  readonly hairpinning: boolean;
  /** Idle time after which a mapping expires (RFC 4787 §4.3). */
  readonly mappingLifetimeMs: number;
  /** Whether inbound packets also refresh a mapping (outbound ones always do). */
  readonly inboundRefresh: boolean;
  /** Live mappings one internal address may hold; new ones beyond it are dropped ('mapping-limit'). */
  readonly maxMappingsPerHost: number;
  readonly pooling: Pooling;
  /** Remembered permissions per mapping (oldest forgotten first); bounds memory. */
  readonly maxPermissionsPerMapping: number;
}

/** Any subset of `NatBehavior`; the rest is taken from `defaultNatBehavior`. */
export type NatOptions = Partial<NatBehavior>;

/** Port-restricted cone with port preservation: what Linux `masquerade` does. */
export const defaultNatBehavior: NatBehavior = {
  mapping: 'endpoint-independent',
  filtering: 'address-and-port-dependent',
  portAllocation: 'preserve',
  delta: 1,
  firstPort: 49152,
  portRange: [1024, 65535],
  hairpinning: false,
  mappingLifetimeMs: 30_000,
  inboundRefresh: false,
  maxMappingsPerHost: Number.POSITIVE_INFINITY,
  pooling: 'paired',
  maxPermissionsPerMapping: 4096,
};

const dependencies: readonly string[] = ['endpoint-independent', 'address-dependent', 'address-and-port-dependent'];
const allocations: readonly string[] = ['preserve', 'sequential', 'random'];

/** Fills in defaults and checks every field; throws ERR_VNET_CONFIG on a bad value. */
export function resolveNatBehavior(options: NatOptions = {}): NatBehavior {
  const b: NatBehavior = { ...defaultNatBehavior, ...options };
  const bad = (what: string): never => {
    throw new VnetError('ERR_VNET_CONFIG', `invalid NAT option ${what}`);
  };
  if (!dependencies.includes(b.mapping)) bad(`mapping '${b.mapping}'`);
  if (!dependencies.includes(b.filtering)) bad(`filtering '${b.filtering}'`);
  if (!allocations.includes(b.portAllocation)) bad(`portAllocation '${b.portAllocation}'`);
  if (b.pooling !== 'paired' && b.pooling !== 'arbitrary') bad(`pooling '${String(b.pooling)}'`);
  const [min, max] = b.portRange;
  if (!isPort(min) || !isPort(max) || min > max) bad(`portRange [${min}, ${max}]`);
  if (!Number.isInteger(b.delta) || b.delta === 0 || Math.abs(b.delta) > 65535) bad(`delta ${b.delta}`);
  if (!isPort(b.firstPort)) bad(`firstPort ${b.firstPort}`);
  if (!(b.mappingLifetimeMs > 0)) bad(`mappingLifetimeMs ${b.mappingLifetimeMs}`);
  if (!(b.maxMappingsPerHost >= 1)) bad(`maxMappingsPerHost ${b.maxMappingsPerHost}`);
  if (!(b.maxPermissionsPerMapping >= 1)) bad(`maxPermissionsPerMapping ${b.maxPermissionsPerMapping}`);
  return b;
}

function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}
