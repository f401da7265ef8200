#!/usr/bin/python3
"""A standard gRPC client that is not written in TypeScript.

It knows nothing of cabled's .proto files: it discovers the services of a
running engine through server reflection alone (grpc.reflection.v1 or
v1alpha), builds a protobuf descriptor pool from the FileDescriptorProtos the
server sends (the C++ pool of Debian's python3-protobuf, which refuses
invalid descriptors), makes message classes from it and calls GetStatus,
ListConnections and grpc.health.v1 Check by service name. Prints one JSON
object on stdout; any failure exits non-zero with the reason on stderr.

Needs only Debian's python3-grpcio and python3-protobuf (no generated code,
no grpcio-reflection: the two reflection messages are described below).

usage: reflection_client.py TARGET [v1|v1alpha]   e.g. unix:///run/cabled/engine.sock v1
"""
import json
import sys

import grpc
from google.protobuf import descriptor_database, descriptor_pb2, descriptor_pool, json_format, message_factory

TIMEOUT_S = 20
F = descriptor_pb2.FieldDescriptorProto


def message_class(descriptor):
    get = getattr(message_factory, "GetMessageClass", None)
    return get(descriptor) if get else message_factory.MessageFactory(descriptor.file.pool).GetPrototype(descriptor)


def reflection_messages(version):
    """ServerReflectionRequest/Response as gRPC publishes them (the fields used here)."""
    pkg = f"grpc.reflection.{version}"
    fdp = descriptor_pb2.FileDescriptorProto(name=f"client/{version}/reflection.proto", package=pkg, syntax="proto3")

    def message(name, *fields):
        m = fdp.message_type.add(name=name)
        for field_name, number, kind, label, type_name, oneof in fields:
            f = m.field.add(name=field_name, number=number, type=kind, label=label)
            if type_name:
                f.type_name = f".{pkg}.{type_name}"
            if oneof is not None:
                if not m.oneof_decl:
                    m.oneof_decl.add(name="message")
                f.oneof_index = oneof
        return m

    opt, rep = F.LABEL_OPTIONAL, F.LABEL_REPEATED
    message(
        "ServerReflectionRequest",
        ("host", 1, F.TYPE_STRING, opt, None, None),
        ("file_by_filename", 3, F.TYPE_STRING, opt, None, 0),
        ("file_containing_symbol", 4, F.TYPE_STRING, opt, None, 0),
        ("list_services", 7, F.TYPE_STRING, opt, None, 0),
    )
    message(
        "ServerReflectionResponse",
        ("valid_host", 1, F.TYPE_STRING, opt, None, None),
        ("file_descriptor_response", 4, F.TYPE_MESSAGE, opt, "FileDescriptorResponse", 0),
        ("list_services_response", 6, F.TYPE_MESSAGE, opt, "ListServiceResponse", 0),
        ("error_response", 7, F.TYPE_MESSAGE, opt, "ErrorResponse", 0),
    )
    message("FileDescriptorResponse", ("file_descriptor_proto", 1, F.TYPE_BYTES, rep, None, None))
    message("ListServiceResponse", ("service", 1, F.TYPE_MESSAGE, rep, "ServiceResponse", None))
    message("ServiceResponse", ("name", 1, F.TYPE_STRING, opt, None, None))
    message(
        "ErrorResponse",
        ("error_code", 1, F.TYPE_INT32, opt, None, None),
        ("error_message", 2, F.TYPE_STRING, opt, None, None),
    )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return (
        message_class(pool.FindMessageTypeByName(f"{pkg}.ServerReflectionRequest")),
        message_class(pool.FindMessageTypeByName(f"{pkg}.ServerReflectionResponse")),
    )


class Reflection:
    def __init__(self, channel, version):
        self.request, response = reflection_messages(version)
        self.stub = channel.stream_stream(
            f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo",
            request_serializer=self.request.SerializeToString,
            response_deserializer=response.FromString,
        )

    def ask(self, **fields):
        answers = list(self.stub(iter([self.request(**fields)]), timeout=TIMEOUT_S))
        if len(answers) != 1:
            raise RuntimeError(f"expected one reflection answer to {fields}, got {len(answers)}")
        answer = answers[0]
        if answer.WhichOneof("message") == "error_response":
            raise RuntimeError(f"reflection error for {fields}: {answer.error_response.error_message}")
        return answer

    def files(self, **fields):
        protos = []
        for raw in self.ask(**fields).file_descriptor_response.file_descriptor_proto:
            fdp = descriptor_pb2.FileDescriptorProto()
            fdp.ParseFromString(raw)
            protos.append(fdp)
        return protos


def main():
    target = sys.argv[1]
    version = sys.argv[2] if len(sys.argv) > 2 else "v1"
    channel = grpc.insecure_channel(target)
    reflection = Reflection(channel, version)

    services = [s.name for s in reflection.ask(list_services="*").list_services_response.service]
    # Every file the services need, fetched by symbol and then by import name, as a client without .proto files does.
    database = descriptor_database.DescriptorDatabase()
    known = {}
    pending = []
    for service in services:
        pending.extend(reflection.files(file_containing_symbol=service))
    while pending:
        fdp = pending.pop(0)
        if fdp.name in known:
            continue
        known[fdp.name] = list(fdp.dependency)
        database.Add(fdp)
        for dep in fdp.dependency:
            if dep not in known:
                pending.extend(reflection.files(file_by_filename=dep))
    pool = descriptor_pool.DescriptorPool(database)

    def unary(service_name, method, **request):
        m = pool.FindServiceByName(service_name).methods_by_name[method]
        stub = channel.unary_unary(
            f"/{service_name}/{method}",
            request_serializer=message_class(m.input_type).SerializeToString,
            response_deserializer=message_class(m.output_type).FromString,
        )
        reply = stub(message_class(m.input_type)(**request), timeout=TIMEOUT_S)
        return json_format.MessageToDict(reply, preserving_proto_field_name=True)

    gateway = "cabled.engine.v1.GatewayService"
    out = {
        "services": services,
        "files": known,
        "status": unary(gateway, "GetStatus").get("status", {}),
        "connections": unary(gateway, "ListConnections").get("connections", []),
        "health": {
            name: unary("grpc.health.v1.Health", "Check", service=name).get("status", "UNKNOWN")
            for name in ["", gateway]
        },
    }
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    try:
        main()
    except Exception as err:  # noqa: BLE001 - report any failure as the test's reason
        sys.stderr.write(f"reflection_client: {type(err).__name__}: {err}\n")
        sys.exit(1)
