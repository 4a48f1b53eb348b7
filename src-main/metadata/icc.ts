// ICC profiles as bytes: what colour space one describes, and its name (no pixels here).

/** ICC header colour space ('RGB ', 'GRAY', 'CMYK'...) or undefined for junk. */
export function iccColourSpace(icc: Buffer | undefined): string | undefined {
  if (!icc || icc.length < 132 || icc.toString('latin1', 36, 40) !== 'acsp') return undefined;
  return icc.toString('latin1', 16, 20);
}

/** The profile's description (v2 'desc' or v4 'mluc'), for sidecars and messages. */
export function iccDescription(icc: Buffer | undefined): string | undefined {
  if (!icc || iccColourSpace(icc) === undefined) return undefined;
  const n = icc.readUInt32BE(128);
  for (let i = 0; i < n && 132 + i * 12 + 12 <= icc.length; i++) {
    const at = 132 + i * 12;
    if (icc.toString('latin1', at, at + 4) !== 'desc') continue;
    const off = icc.readUInt32BE(at + 4);
    const type = icc.toString('latin1', off, off + 4);
    if (type === 'desc') {
      const len = icc.readUInt32BE(off + 8);
      return icc.toString('latin1', off + 12, off + 12 + len).replace(/\0+$/, '');
    }
    if (type === 'mluc') {
      const recLen = icc.readUInt32BE(off + 12);
      if (icc.readUInt32BE(off + 8) < 1 || recLen < 12) return undefined;
      const len = icc.readUInt32BE(off + 20);
      const start = off + icc.readUInt32BE(off + 24);
      const utf16be = icc.subarray(start, start + len);
      const le = Buffer.alloc(utf16be.length);
      for (let k = 0; k + 1 < utf16be.length; k += 2) {
        le[k] = utf16be[k + 1];
        le[k + 1] = utf16be[k];
      }
      return le.toString('utf16le').replace(/\0+$/, '');
    }
  }
  return undefined;
}
