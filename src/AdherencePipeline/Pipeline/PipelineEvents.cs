using AdherencePipeline.Signal;

namespace AdherencePipeline.Pipeline;

/// <summary>What the pipeline produces for one participant; faults and gaps travel as values, not errors.</summary>
/// <param name="Participant">The participant's pseudonymous code.</param>
/// <param name="DeviceModel">The firmware profile id of the device the data came from.</param>
public abstract record PipelineEvent(string Participant, string DeviceModel);

/// <summary>One second of motion.</summary>
public sealed record MotionSecondEvent(string Participant, string DeviceModel, MotionSecond Second) : PipelineEvent(Participant, DeviceModel);

/// <summary>One second of heart rate.</summary>
public sealed record HeartRateSecondEvent(string Participant, string DeviceModel, HeartRateSecond Second) : PipelineEvent(Participant, DeviceModel);

/// <summary>A gap in a device's data.</summary>
public sealed record GapEvent(string Participant, string DeviceModel, SignalGap Gap) : PipelineEvent(Participant, DeviceModel);

/// <summary>An analysis window with its features (see <see cref="WindowFeatures.Schema"/>).</summary>
public sealed record WindowEvent(string Participant, string DeviceModel, AccelerationWindow Window, float[] Features) : PipelineEvent(Participant, DeviceModel);

/// <summary>A notification that could not be decoded; counted, logged at a bounded rate, and skipped.</summary>
/// <param name="Participant">The participant.</param>
/// <param name="DeviceModel">The firmware profile id.</param>
/// <param name="ReceivedNs">When the notification arrived.</param>
/// <param name="Description">The decoder's fault: field, offset, expectation.</param>
public sealed record DecodeFaultEvent(string Participant, string DeviceModel, long ReceivedNs, string Description) : PipelineEvent(Participant, DeviceModel);
