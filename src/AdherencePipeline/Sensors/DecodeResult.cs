using System.Globalization;

namespace AdherencePipeline.Sensors;

/// <summary>Why a notification could not be decoded.</summary>
public enum DecodeFaultKind
{
    /// <summary>No fault: the payload decoded.</summary>
    None = 0,

    /// <summary>The payload has no bytes at all.</summary>
    Empty,

    /// <summary>A field needs more bytes than remain.</summary>
    Truncated,

    /// <summary>A field whose length must be a multiple of its element size is not.</summary>
    BadLength,

    /// <summary>Bytes remain after the last field the header announces.</summary>
    TrailingBytes,

    /// <summary>A type, op code or frame type this decoder does not know.</summary>
    Unsupported,

    /// <summary>A field holds a value the format forbids (a delta width of 0, a sample outside the resolution).</summary>
    InvalidValue,

    /// <summary>The frame timestamp cannot be the time of its last sample (too early for the sample count, or overflow).</summary>
    InvalidTimestamp,

    /// <summary>The caller's buffer cannot hold every decoded value; nothing partial is returned.</summary>
    BufferTooSmall,
}

/// <summary>
/// A typed decode fault: what was wrong, in which field, at which byte offset. Allocation-free to
/// create; <see cref="ToString"/> builds the human-readable message.
/// </summary>
/// <param name="Kind">What was wrong.</param>
/// <param name="Field">The field being read, e.g. <c>rr-interval</c> or <c>delta-block.width</c>.</param>
/// <param name="Offset">The byte offset in the payload where the field starts.</param>
/// <param name="Expected">What the format required there (a byte count, a maximum), when meaningful.</param>
/// <param name="Actual">What the payload had, when meaningful.</param>
public readonly record struct DecodeFault(DecodeFaultKind Kind, string Field, int Offset, long Expected = 0, long Actual = 0)
{
    /// <summary>A sentence that names the field, the offset and the expectation.</summary>
    public override string ToString() => Kind switch
    {
        DecodeFaultKind.None => "no fault",
        DecodeFaultKind.Empty => Format("{0}: empty notification"),
        DecodeFaultKind.Truncated => Format("{0} truncated at offset {1}: need {2} byte(s), have {3}"),
        DecodeFaultKind.BadLength => Format("{0} has a bad length at offset {1}: expected a multiple of {2} byte(s), have {3}"),
        DecodeFaultKind.TrailingBytes => Format("{0}: {3} trailing byte(s) at offset {1}"),
        DecodeFaultKind.Unsupported => Format("{0} at offset {1} is not supported: value {3}"),
        DecodeFaultKind.InvalidValue => Format("{0} at offset {1} is invalid: value {3}, limit {2}"),
        DecodeFaultKind.InvalidTimestamp => Format("{0} at offset {1} is not a valid last-sample time: value {3}"),
        DecodeFaultKind.BufferTooSmall => Format("{0}: the destination holds {2} value(s), the payload has {3} (offset {1})"),
        _ => Format("{0} fault at offset {1}"),
    };

    private string Format(string format) => string.Format(CultureInfo.InvariantCulture, format, Field, Offset, Expected, Actual);
}

/// <summary>What a successful decode produced.</summary>
public enum DecodedKind
{
    /// <summary>Nothing (a fault, or a payload that carries no samples).</summary>
    None = 0,

    /// <summary>One heart-rate measurement with its RR intervals.</summary>
    HeartRate,

    /// <summary>A block of accelerometer samples.</summary>
    Accelerometer,

    /// <summary>A PMD control-point response or device-initiated stop.</summary>
    ControlPoint,
}

/// <summary>The outcome of decoding one notification: what was produced and how many samples, or a fault.</summary>
/// <param name="Kind">What the destination now holds.</param>
/// <param name="SampleCount">How many samples (RR intervals for heart rate, samples for acceleration).</param>
/// <param name="Fault">The fault, with <see cref="DecodeFaultKind.None"/> on success.</param>
public readonly record struct DecodeResult(DecodedKind Kind, int SampleCount, DecodeFault Fault)
{
    /// <summary>True when the payload decoded.</summary>
    public bool IsSuccess => Fault.Kind == DecodeFaultKind.None;

    /// <summary>A successful result.</summary>
    public static DecodeResult Success(DecodedKind kind, int sampleCount) => new(kind, sampleCount, default);

    /// <summary>A failed result.</summary>
    public static DecodeResult Failure(DecodeFaultKind kind, string field, int offset, long expected = 0, long actual = 0) =>
        new(DecodedKind.None, 0, new DecodeFault(kind, field, offset, expected, actual));
}
