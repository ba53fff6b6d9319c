/**
 * Just enough of the protocol-buffers wire format (https://protobuf.dev/programming-guides/encoding/)
 * to write small messages: varints, 32-bit floats and length-delimited fields.
 */
export class ProtobufWriter {
  readonly #bytes: number[] = [];

  /** Wire type 0: a non-negative integer or bool. */
  varint(field: number, value: number): this {
    this.#key(field, 0);
    this.#varint(value);
    return this;
  }

  /** Wire type 5: a float. */
  float(field: number, value: number): this {
    this.#key(field, 5);
    const b = new Uint8Array(new Float32Array([value]).buffer);
    this.#bytes.push(...b);
    return this;
  }

  /** Wire type 2: a UTF-8 string. */
  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** Wire type 2: an embedded message or raw bytes. */
  bytes(field: number, value: Uint8Array): this {
    this.#key(field, 2);
    this.#varint(value.length);
    for (const b of value) this.#bytes.push(b);
    return this;
  }

  message(field: number, build: (w: ProtobufWriter) => void): this {
    const inner = new ProtobufWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }

  #key(field: number, wireType: number): void {
    this.#varint(field * 8 + wireType);
  }

  #varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new RangeError(`protobuf: varints here are non-negative safe integers, got ${value}`);
    let v = value;
    while (v >= 0x80) {
      this.#bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.#bytes.push(v);
  }
}
