"""A real third-party Modbus peer for the HIL suites: pymodbus serving a register map given as JSON.

Usage: pymodbus_server.py --map FILE (--tcp PORT | --rtu PATH) [--unit ID] [--sparse]

The map lists points, each encoded here with Python's struct module so that the layout on the wire comes from
pymodbus and Python, not from meterchain:
  {"points": [{"table": "ir"|"hr", "address": 0-based, "type": "uint16"|"int16"|"uint32"|"int32"|"acc32"|
               "float32"|"string", "value": ..., "size": registers (strings only)}]}
or {"units": {"1": [points...], "2": [points...]}} to serve several unit ids on one line or port.
Multi-register values are big-endian, high word first (Modbus convention, SunSpec and Eastron).
With --sparse only the registers of the map exist: a read that touches any other gets exception 2 (illegal data
address), as real meters answer a block read across registers they lack.
Prints "READY" on stdout once it serves.
"""
import argparse
import asyncio
import json
import logging
import struct
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext, ModbusSparseDataBlock
from pymodbus.server import StartAsyncSerialServer, StartAsyncTcpServer
from pymodbus.transaction import ModbusRtuFramer, ModbusSocketFramer

SPACE = 65536


def encode(point):
    kind = point["type"]
    value = point["value"]
    if kind == "uint16":
        return list(struct.unpack(">H", struct.pack(">H", value)))
    if kind in ("int16", "sunssf"):
        return list(struct.unpack(">H", struct.pack(">h", value)))
    if kind in ("uint32", "acc32", "bitfield32"):
        return list(struct.unpack(">HH", struct.pack(">I", value)))
    if kind == "int32":
        return list(struct.unpack(">HH", struct.pack(">i", value)))
    if kind == "float32":
        if value is None:
            return [0x7FC0, 0x0000]
        return list(struct.unpack(">HH", struct.pack(">f", value)))
    if kind == "string":
        raw = value.encode("ascii").ljust(point["size"] * 2, b"\0")[: point["size"] * 2]
        return list(struct.unpack(">" + "H" * point["size"], raw))
    raise ValueError("unknown type " + kind)


def build(points):
    tables = {"ir": [0] * SPACE, "hr": [0] * SPACE}
    present = {"ir": {}, "hr": {}}
    for point in points:
        words = point["words"] if "words" in point else encode(point)
        for i, word in enumerate(words):
            tables[point["table"]][point["address"] + i] = word
            present[point["table"]][point["address"] + i] = word
    return tables, present


def slave_for(points, sparse):
    tables, present = build(points)
    if sparse:
        blocks = {t: ModbusSparseDataBlock(present[t]) for t in ("ir", "hr")}
        return ModbusSlaveContext(ir=blocks["ir"], hr=blocks["hr"], zero_mode=True)
    return ModbusSlaveContext(
        ir=ModbusSequentialDataBlock(0, tables["ir"]),
        hr=ModbusSequentialDataBlock(0, tables["hr"]),
        zero_mode=True,
    )


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--map", required=True)
    parser.add_argument("--tcp", type=int)
    parser.add_argument("--rtu")
    parser.add_argument("--unit", type=int, default=1)
    parser.add_argument("--sparse", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    with open(args.map, encoding="utf-8") as handle:
        document = json.load(handle)
    if "units" in document:
        slaves = {int(unit): slave_for(points, args.sparse) for unit, points in document["units"].items()}
    else:
        slaves = {args.unit: slave_for(document["points"], args.sparse)}
    context = ModbusServerContext(slaves=slaves, single=False)
    if args.tcp is not None:
        # Reuse the address: a test restarts the peer on the same port while old connections sit in TIME_WAIT.
        server = await StartAsyncTcpServer(
            context=context, address=("127.0.0.1", args.tcp), framer=ModbusSocketFramer, defer_start=True,
            allow_reuse_address=True,
        )
        serving = asyncio.ensure_future(server.serve_forever())
        while server.server is None:
            if serving.done():
                serving.result()  # raises why it could not serve (address in use, ...)
                sys.exit("server stopped before serving")
            await asyncio.sleep(0.01)
        print("READY", flush=True)
        await serving
    else:
        server = await StartAsyncSerialServer(
            context=context, framer=ModbusRtuFramer, port=args.rtu, baudrate=9600, defer_start=True,
            ignore_missing_slaves=True,
        )
        await server.start()
        print("READY", flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
