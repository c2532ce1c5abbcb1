// .BTF.ext: per-instruction information for the programs (func_info, line_info, CO-RE relocations).
// Names and source text are offsets into the .BTF string section.
//
// Layout (little-endian). Header (hdr_len bytes, 32 with CO-RE):
//   0 magic u16 0xEB9F  2 version u8  3 flags u8  4 hdr_len u32
//   8 func_info_off  12 func_info_len  16 line_info_off  20 line_info_len  24 core_relo_off  28 core_relo_len
//   (offsets from the header's end). Each block: u32 record size, then groups
//   {sec_name_off u32, num_info u32, num_info records} until the block's end.
// Records (at least these bytes; a larger record size is allowed and the rest skipped):
//   func_info  8: insn_off u32, type_id u32 (a FUNC)
//   line_info 16: insn_off u32, file_name_off u32, line_off u32 (the line's text), line_col u32
//                 (line = line_col >> 10, column = line_col & 0x3ff)
//   core_relo 16: insn_off u32, type_id u32, access_str_off u32, kind u32
// insn_off is in BYTES in the object (clang's unit); the kernel wants instruction indexes.
import type { Btf } from './btf.js';
import { fail } from './errors.js';
import { BTF_MAGIC } from './uapi.js';

const SECTION = '.BTF.ext';
const HEADER_MIN = 24;

export interface FuncInfoRecord { insnOff: number; typeId: number }
export interface LineInfoRecord { insnOff: number; file: string; line: number; col: number; text: string }
export interface CoreReloRecord { insnOff: number; typeId: number; access: string; kind: number }

export class BtfExt {
  /** By program section name; insnOff in bytes from the section's start, in file order. */
  readonly funcInfo = new Map<string, FuncInfoRecord[]>();
  readonly lineInfo = new Map<string, LineInfoRecord[]>();
  readonly coreRelos = new Map<string, CoreReloRecord[]>();

  static parse(data: Uint8Array, btf: Btf): BtfExt {
    if (data.length < HEADER_MIN) fail(`truncated header: ${data.length} bytes, at least ${HEADER_MIN} needed`, { section: SECTION });
    const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const magic = v.getUint16(0, true);
    if (magic !== BTF_MAGIC) fail(`bad magic 0x${magic.toString(16)} (expected 0xeb9f)`, { section: SECTION });
    if (data[2] !== 1) fail(`unsupported version ${data[2]}`, { section: SECTION });
    const hdrLen = v.getUint32(4, true);
    if (hdrLen < HEADER_MIN || hdrLen > data.length) fail(`header length ${hdrLen} is outside the ${data.length}-byte section`, { section: SECTION });
    const ext = new BtfExt();
    const block = (offField: number, what: string, minRec: number, read: (sec: string, at: number) => void): void => {
      if (offField + 8 > hdrLen) return; // an older, shorter header has no such block
      const off = v.getUint32(offField, true);
      const len = v.getUint32(offField + 4, true);
      if (len === 0) return;
      const start = hdrLen + off;
      const end = start + len;
      if (end > data.length) fail(`${what} (offset ${off}, ${len} bytes) runs past the end of the section`, { section: SECTION });
      if (len < 4) fail(`${what} is ${len} bytes, too short for its record size`, { section: SECTION });
      const recSize = v.getUint32(start, true);
      if (recSize < minRec || recSize % 4 !== 0) fail(`${what} record size ${recSize} (at least ${minRec}, a multiple of 4)`, { section: SECTION });
      let at = start + 4;
      while (at < end) {
        if (at + 8 > end) fail(`${what}: a group header runs past the block's end`, { section: SECTION });
        const sec = btf.name(v.getUint32(at, true));
        const n = v.getUint32(at + 4, true);
        at += 8;
        if (n === 0) fail(`${what} for section '${sec}' has no records`, { section: SECTION });
        if (at + n * recSize > end) fail(`${what} for section '${sec}': ${n} records run past the block's end`, { section: SECTION });
        for (let i = 0; i < n; i++, at += recSize) read(sec, at);
      }
    };
    const push = <T>(map: Map<string, T[]>, sec: string, rec: T): void => {
      let list = map.get(sec);
      if (list === undefined) map.set(sec, (list = []));
      list.push(rec);
    };
    block(8, 'func_info', 8, (sec, at) => push(ext.funcInfo, sec, { insnOff: v.getUint32(at, true), typeId: v.getUint32(at + 4, true) }));
    block(16, 'line_info', 16, (sec, at) => {
      const lineCol = v.getUint32(at + 12, true);
      push(ext.lineInfo, sec, {
        insnOff: v.getUint32(at, true),
        file: btf.name(v.getUint32(at + 4, true)),
        text: btf.name(v.getUint32(at + 8, true)),
        line: lineCol >>> 10,
        col: lineCol & 0x3ff,
      });
    });
    block(24, 'core_relo', 16, (sec, at) => push(ext.coreRelos, sec, {
      insnOff: v.getUint32(at, true),
      typeId: v.getUint32(at + 4, true),
      access: btf.name(v.getUint32(at + 8, true)),
      kind: v.getUint32(at + 12, true),
    }));
    return ext;
  }
}
