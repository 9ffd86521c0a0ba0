using Microsoft.Extensions.Logging;

namespace AdherencePipeline.BlueZ;

/// <summary>The transport's log messages. Addresses are always passed through <see cref="BlueZNames.Redact"/>.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 7100, Level = LogLevel.Information, Message = "BlueZ transport started on adapter {Adapter} with {Devices} bound device(s)")]
    public static partial void Started(ILogger logger, string adapter, int devices);

    [LoggerMessage(EventId = 7101, Level = LogLevel.Warning, Message = "BlueZ is unavailable ({Reason}); retrying in {RetryIn}")]
    public static partial void BusUnavailable(ILogger logger, string reason, TimeSpan retryIn);

    [LoggerMessage(EventId = 7102, Level = LogLevel.Error, Message = "Unexpected failure of the BlueZ transport (#{Count}); retrying in {RetryIn}")]
    public static partial void TransportFailed(ILogger logger, Exception exception, long count, TimeSpan retryIn);

    [LoggerMessage(EventId = 7103, Level = LogLevel.Information, Message = "Ignoring device {Device} (not bound to a participant)")]
    public static partial void DeviceIgnored(ILogger logger, string device);

    [LoggerMessage(EventId = 7110, Level = LogLevel.Information, Message = "Device {Device} ({Profile}) streaming, connection {Connection}")]
    public static partial void DeviceStreaming(ILogger logger, string device, string profile, int connection);

    [LoggerMessage(EventId = 7111, Level = LogLevel.Warning, Message = "Device {Device} disconnected ({Reason}); reconnecting in {RetryIn}")]
    public static partial void DeviceDisconnected(ILogger logger, string device, string reason, TimeSpan retryIn);

    [LoggerMessage(EventId = 7112, Level = LogLevel.Warning, Message = "Device {Device}: {Operation} refused with {ErrorName}: {ErrorMessage}; retrying in {RetryIn}")]
    public static partial void CommandRefused(ILogger logger, string device, string operation, string errorName, string errorMessage, TimeSpan retryIn);

    [LoggerMessage(EventId = 7113, Level = LogLevel.Error, Message = "Device {Device}: {Operation} refused with {ErrorName}: {ErrorMessage}. This needs a configuration or pairing change; retrying in {RetryIn}")]
    public static partial void CommandRefusedConfiguration(ILogger logger, string device, string operation, string errorName, string errorMessage, TimeSpan retryIn);

    [LoggerMessage(EventId = 7114, Level = LogLevel.Information, Message = "Device {Device}: {Reason}; retrying in {RetryIn}")]
    public static partial void AttemptFailed(ILogger logger, string device, string reason, TimeSpan retryIn);

    [LoggerMessage(EventId = 7115, Level = LogLevel.Error, Message = "Device {Device}: unexpected failure (#{Count}); retrying in {RetryIn}")]
    public static partial void DeviceLoopFailed(ILogger logger, Exception exception, string device, long count, TimeSpan retryIn);

    [LoggerMessage(EventId = 7116, Level = LogLevel.Warning, Message = "Frame buffer full: {Dropped} frame(s) dropped so far (processing is not keeping up)")]
    public static partial void FramesDropped(ILogger logger, long dropped);

    [LoggerMessage(EventId = 7117, Level = LogLevel.Debug, Message = "Device {Device}: stop sequence did not complete ({Reason})")]
    public static partial void StopIncomplete(ILogger logger, string device, string reason);
}
