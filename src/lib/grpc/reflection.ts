/**
 * gRPC server reflection, grpc.reflection.v1 and v1alpha, from the
 * descriptors buf builds out of proto/ and third_party/proto at `npm run gen`
 * time (src/generated/descriptors.ts). The files are served as protoc would
 * describe them: their own names ("cabled/engine/v1/engine.proto"), their
 * imports, fully qualified type names, snake_case fields with json names and
 * real map entries, so a standard client (grpcurl, Python's descriptor pool)
 * can build them. Nothing is read from disk at run time.
 */
import { create, createFileRegistry, fromBinary, toBinary, type DescMessage, type Message } from '@bufbuild/protobuf';
import {
  type DescriptorProto,
  type EnumDescriptorProto,
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
} from '@bufbuild/protobuf/wkt';
import { type ServerDuplexStream, type ServiceDefinition, status as grpcStatus } from '@grpc/grpc-js';
import { DESCRIPTOR_SET_BASE64 } from '../../generated/descriptors.js';
import { FailedPreconditionError } from '../errors.js';
import type { ServiceHost } from './health.js';
import { REFLECTION_SERVICES, type ReflectionAnswerer } from './reflection-names.js';

export { REFLECTION_SERVICES };

/** One .proto file of the descriptor set: its serialized FileDescriptorProto and direct imports. */
interface DescribedFile {
  name: string;
  bytes: Uint8Array;
  dependencies: string[];
}

/** Every file, symbol and service of a FileDescriptorSet, as reflection looks them up. */
export class DescriptorIndex {
  private readonly files = new Map<string, DescribedFile>();
  /** Fully qualified symbol (message, field, enum, enum value, service, method, extension) -> file name. */
  private readonly symbols = new Map<string, string>();
  /** Extendee -> extension field number -> file name. */
  private readonly extensions = new Map<string, Map<number, string>>();
  readonly serviceNames: readonly string[];
  readonly registry: ReturnType<typeof createFileRegistry>;

  constructor(setBytes: Uint8Array) {
    const set = fromBinary(FileDescriptorSetSchema, setBytes);
    this.registry = createFileRegistry(set);
    const services: string[] = [];
    for (const file of set.file) {
      this.files.set(file.name, {
        name: file.name,
        bytes: toBinary(FileDescriptorProtoSchema, file),
        dependencies: [...file.dependency],
      });
      this.indexFile(file, services);
    }
    this.serviceNames = services;
  }

  /** The named file, then every file it imports (transitively), serialized. */
  fileByName(name: string): Uint8Array[] | undefined {
    const seen = new Set<string>();
    const out: Uint8Array[] = [];
    const visit = (n: string): boolean => {
      if (seen.has(n)) return true;
      seen.add(n);
      const file = this.files.get(n);
      if (!file) return false;
      out.push(file.bytes);
      return file.dependencies.every(visit);
    };
    return visit(name) ? out : undefined;
  }

  /** The file declaring `symbol` (e.g. "cabled.engine.v1.GatewayService"), with its imports. */
  fileContainingSymbol(symbol: string): Uint8Array[] | undefined {
    const file = this.symbols.get(symbol.replace(/^\./, ''));
    return file === undefined ? undefined : this.fileByName(file);
  }

  fileContainingExtension(extendee: string, field: number): Uint8Array[] | undefined {
    const file = this.extensions.get(extendee)?.get(field);
    return file === undefined ? undefined : this.fileByName(file);
  }

  extensionNumbers(extendee: string): number[] | undefined {
    const known = this.extensions.get(extendee);
    if (known) return [...known.keys()];
    return this.symbols.has(extendee) ? [] : undefined;
  }

  private indexFile(file: FileDescriptorProto, services: string[]): void {
    const scope = file.package ? `${file.package}.` : '';
    const add = (name: string): void => void this.symbols.set(name, file.name);
    const addEnum = (e: EnumDescriptorProto, prefix: string): void => {
      add(`${prefix}${e.name}`);
      // Enum values are siblings of their enum (C++ scoping rules).
      for (const v of e.value) add(`${prefix}${v.name}`);
    };
    const addMessage = (m: DescriptorProto, prefix: string): void => {
      const name = `${prefix}${m.name}`;
      add(name);
      for (const f of m.field) add(`${name}.${f.name}`);
      for (const o of m.oneofDecl) add(`${name}.${o.name}`);
      for (const x of m.extension) this.addExtension(x.extendee, x.number, `${name}.${x.name}`, file.name);
      for (const n of m.nestedType) addMessage(n, `${name}.`);
      for (const e of m.enumType) addEnum(e, `${name}.`);
    };
    for (const m of file.messageType) addMessage(m, scope);
    for (const e of file.enumType) addEnum(e, scope);
    for (const x of file.extension) this.addExtension(x.extendee, x.number, `${scope}${x.name}`, file.name);
    for (const s of file.service) {
      const name = `${scope}${s.name}`;
      add(name);
      services.push(name);
      for (const m of s.method) add(`${name}.${m.name}`);
    }
  }

  private addExtension(extendee: string, field: number, name: string, file: string): void {
    this.symbols.set(name, file);
    const key = extendee.replace(/^\./, '');
    const byField = this.extensions.get(key) ?? new Map<number, string>();
    byField.set(field, file);
    this.extensions.set(key, byField);
  }
}

let bundled: DescriptorIndex | undefined;

/** The descriptors generated from proto/ and third_party/proto (parsed once). */
export function bundledDescriptors(): DescriptorIndex {
  bundled ??= new DescriptorIndex(Buffer.from(DESCRIPTOR_SET_BASE64, 'base64'));
  return bundled;
}

/** What a ServerReflectionRequest carries (the same in v1 and v1alpha). */
interface ReflectionRequest extends Message {
  host: string;
  messageRequest:
    | { case: 'fileByFilename' | 'fileContainingSymbol' | 'allExtensionNumbersOfType' | 'listServices'; value: string }
    | { case: 'fileContainingExtension'; value: { containingType: string; extensionNumber: number } }
    | { case: undefined; value?: undefined };
}

type ReflectionAnswer =
  | { case: 'fileDescriptorResponse'; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: 'allExtensionNumbersResponse'; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: 'listServicesResponse'; value: { service: { name: string }[] } }
  | { case: 'errorResponse'; value: { errorCode: number; errorMessage: string } };

/** Answers one reflection request from `index`, listing `services`. Never throws. */
export function answerReflection(
  index: DescriptorIndex,
  services: readonly string[],
  request: ReflectionRequest,
): ReflectionAnswer {
  const notFound = (what: string): ReflectionAnswer => ({
    case: 'errorResponse',
    value: { errorCode: grpcStatus.NOT_FOUND, errorMessage: `${what} not found` },
  });
  const files = (found: Uint8Array[] | undefined, what: string): ReflectionAnswer =>
    found ? { case: 'fileDescriptorResponse', value: { fileDescriptorProto: found } } : notFound(what);
  const req = request.messageRequest;
  switch (req.case) {
    case 'listServices':
      return { case: 'listServicesResponse', value: { service: services.map((name) => ({ name })) } };
    case 'fileByFilename':
      return files(index.fileByName(req.value), `file "${req.value}"`);
    case 'fileContainingSymbol':
      return files(index.fileContainingSymbol(req.value), `symbol "${req.value}"`);
    case 'fileContainingExtension': {
      const { containingType, extensionNumber } = req.value;
      return files(
        index.fileContainingExtension(containingType, extensionNumber),
        `extension ${extensionNumber} of "${containingType}"`,
      );
    }
    case 'allExtensionNumbersOfType': {
      const numbers = index.extensionNumbers(req.value);
      return numbers
        ? { case: 'allExtensionNumbersResponse', value: { baseTypeName: req.value, extensionNumber: numbers } }
        : notFound(`type "${req.value}"`);
    }
    default:
      return {
        case: 'errorResponse',
        value: { errorCode: grpcStatus.INVALID_ARGUMENT, errorMessage: 'empty reflection request' },
      };
  }
}

/** The grpc-js definition of one version's ServerReflection service, (de)serialized with its own descriptors. */
function reflectionDefinition(
  index: DescriptorIndex,
  service: string,
): { definition: ServiceDefinition; response: DescMessage } {
  const pkg = service.slice(0, service.lastIndexOf('.'));
  const message = (name: string): DescMessage => {
    const desc = index.registry.getMessage(`${pkg}.${name}`);
    if (!desc) throw new FailedPreconditionError(`the descriptor set lacks ${pkg}.${name}; run npm run gen`);
    return desc;
  };
  const request = message('ServerReflectionRequest');
  const response = message('ServerReflectionResponse');
  const definition: ServiceDefinition = {
    ServerReflectionInfo: {
      path: `/${service}/ServerReflectionInfo`,
      requestStream: true,
      responseStream: true,
      requestSerialize: (m: Message) => Buffer.from(toBinary(request, m)),
      requestDeserialize: (b: Buffer) => fromBinary(request, b),
      responseSerialize: (m: Message) => Buffer.from(toBinary(response, m)),
      responseDeserialize: (b: Buffer) => fromBinary(response, b),
    },
  };
  return { definition, response };
}

export interface ReflectionOptions {
  /** The services the server offers (listed by list_services); the reflection services are added. */
  services: readonly string[];
  /** @default bundledDescriptors() */
  descriptors?: DescriptorIndex;
}

/**
 * The answers of addLazyReflection (reflection-service.ts): listing
 * `services` and the reflection services, from the generated descriptors.
 * Throws FailedPreconditionError when a listed service is not in them.
 */
export function reflectionAnswerer(services: readonly string[]): ReflectionAnswerer {
  const index = bundledDescriptors();
  const listed = [...services, ...REFLECTION_SERVICES];
  const missing = listed.filter((s) => !index.serviceNames.includes(s));
  if (missing.length)
    throw new FailedPreconditionError(`no descriptors for ${missing.join(', ')}; run npm run gen and rebuild`);
  const schemas = new Map(REFLECTION_SERVICES.map((s) => [s, reflectionDefinition(index, s)]));
  return (service, bytes) => {
    const { definition, response } = schemas.get(service)!;
    const request = definition.ServerReflectionInfo!.requestDeserialize(Buffer.from(bytes)) as ReflectionRequest;
    const answer = answerReflection(index, listed, request);
    return toBinary(
      response,
      create(response, { validHost: request.host, originalRequest: request, messageResponse: answer } as never),
    );
  };
}

/**
 * Adds grpc.reflection.v1 and v1alpha to `server`, descriptors built now
 * (the engine uses addLazyReflection: built at the first call). Throws
 * FailedPreconditionError when a listed service is not in the descriptors.
 */
export function addReflection(server: ServiceHost, options: ReflectionOptions): void {
  const index = options.descriptors ?? bundledDescriptors();
  const listed = [...options.services, ...REFLECTION_SERVICES];
  const missing = listed.filter((s) => !index.serviceNames.includes(s));
  if (missing.length)
    throw new FailedPreconditionError(`no descriptors for ${missing.join(', ')}; run npm run gen and rebuild`);
  for (const service of REFLECTION_SERVICES) {
    const { definition, response } = reflectionDefinition(index, service);
    server.addService(definition, {
      ServerReflectionInfo: (call: ServerDuplexStream<ReflectionRequest, Message>) => {
        call.on('data', (request: ReflectionRequest) => {
          const answer = answerReflection(index, listed, request);
          call.write(
            create(response, {
              validHost: request.host,
              originalRequest: request,
              messageResponse: answer,
            } as never),
          );
        });
        call.on('end', () => call.end());
        call.on('error', () => undefined);
      },
    });
  }
}
