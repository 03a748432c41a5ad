/**
 * Runtime mutations of the emulator's World, as Rancher would make them (a container starts,
 * stops or goes away, service metadata changes). Each mutator bumps `/version` exactly once.
 */
import { defaultService, newContainer, stableUuid, type ContainerInput, type ContainerRecord, type World } from './world.ts';

export abstract class WorldEditor {
  #world: World;

  protected constructor(world: World) {
    this.#world = structuredClone(world);
  }

  /** A new `/version` (answers reload). */
  abstract bump(): void;

  /** The live world (no copy), for the renderer. */
  protected worldRef(): World {
    return this.#world;
  }

  /** A copy of the current world. */
  get world(): World {
    return structuredClone(this.#world);
  }

  setWorld(world: World): void {
    this.#world = structuredClone(world);
    this.bump();
  }

  /** Any change at all, then one bump. */
  update(change: (world: World) => void): void {
    change(this.#world);
    this.bump();
  }

  /** Same version content, new version string (an answers reload without changes). */
  touch(): void {
    this.bump();
  }

  /** A copy of the container named or with uuid `ref`; throws when absent. */
  container(ref: string): ContainerRecord {
    return structuredClone(this.#find(ref));
  }

  /** Add a container to `stack/service` (both created when missing); returns it. */
  addContainer(stack: string, service: string, opts: ContainerInput = {}): ContainerRecord {
    const w = this.#world;
    if (!w.stacks.some((s) => s.name === stack)) w.stacks.push({ name: stack, uuid: stableUuid(`stack:${stack}`) });
    if (!w.services.some((s) => s.stack_name === stack && s.name === service)) w.services.push(defaultService(stack, service));
    const c = newContainer(w, stack, service, opts);
    w.containers.push(c);
    this.bump();
    return structuredClone(c);
  }

  removeContainer(ref: string): void {
    const c = this.#find(ref);
    this.#world.containers = this.#world.containers.filter((x) => x !== c);
    this.bump();
  }

  setContainerState(ref: string, state: string): void {
    this.patchContainer(ref, { state });
  }

  stopContainer(ref: string): void {
    this.setContainerState(ref, 'stopped');
  }

  startContainer(ref: string): void {
    this.setContainerState(ref, 'running');
  }

  patchContainer(ref: string, patch: Partial<ContainerRecord>): void {
    Object.assign(this.#find(ref), structuredClone(patch));
    this.bump();
  }

  /** Replace a service's rancher-compose `metadata:` (aliases, ssl_cert, ssl_key, ...). */
  setServiceMetadata(stack: string, service: string, metadata: Record<string, unknown>): void {
    const s = this.#world.services.find((x) => x.stack_name === stack && x.name === service);
    if (!s) throw new Error(`emulator: no service ${stack}/${service}`);
    s.metadata = structuredClone(metadata);
    this.bump();
  }

  /** Make `ref` (container name or uuid) the `self` of `callerIp` (`*` = every caller). */
  setSelf(ref: string, callerIp = '*'): void {
    this.#world.self[callerIp] = ref;
    this.bump();
  }

  #find(ref: string): ContainerRecord {
    const c = this.#world.containers.find((x) => x.name === ref || x.uuid === ref);
    if (!c) throw new Error(`emulator: no container ${ref}`);
    return c;
  }
}

