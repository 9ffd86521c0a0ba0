using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace AdherencePipeline.BlueZ;

/// <summary>Settings of the BlueZ transport (configuration section <c>Ble</c>).</summary>
public sealed class BlueZOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Ble";

    /// <summary><c>system</c> (default, where bluetoothd lives), <c>session</c>, or a D-Bus address such as <c>unix:path=/run/…</c>.</summary>
    [Required]
    public string BusAddress { get; set; } = "system";

    /// <summary>The adapter, e.g. <c>hci0</c>; empty for the first powered one.</summary>
    public string Adapter { get; set; } = "";

    /// <summary>How long a device may take from <c>Connect</c> to <c>ServicesResolved</c>.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long to wait for a bound device to be seen advertising before backing off.</summary>
    public TimeSpan DeviceSearchTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The first reconnect/retry wait; it doubles per failure (with jitter) up to <see cref="ReconnectMaxDelay"/>.</summary>
    public TimeSpan ReconnectInitialDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest reconnect/retry wait.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A connection that stayed up this long resets the back-off.</summary>
    public TimeSpan StableConnection { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long stopping may spend on the stop sequence and disconnect of each device.</summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Notifications buffered between the D-Bus receive loop and processing; beyond it, frames are dropped and counted.</summary>
    [Range(16, 1 << 22)]
    public int FrameChannelCapacity { get; set; } = 16384;

    /// <summary>Every problem with these options, each naming its key; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true))
        {
            foreach (var r in results)
            {
                errors.Add($"{SectionName}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}");
            }
        }

        void Positive(TimeSpan value, string name)
        {
            if (value <= TimeSpan.Zero)
            {
                errors.Add($"{SectionName}:{name}: must be positive, was {value}.");
            }
        }

        Positive(ConnectTimeout, nameof(ConnectTimeout));
        Positive(DeviceSearchTimeout, nameof(DeviceSearchTimeout));
        Positive(ReconnectInitialDelay, nameof(ReconnectInitialDelay));
        Positive(StableConnection, nameof(StableConnection));
        Positive(StopTimeout, nameof(StopTimeout));
        if (ReconnectMaxDelay < ReconnectInitialDelay)
        {
            errors.Add($"{SectionName}:{nameof(ReconnectMaxDelay)}: must be at least {nameof(ReconnectInitialDelay)} ({ReconnectInitialDelay}), was {ReconnectMaxDelay}.");
        }

        if (Adapter.Contains('/', StringComparison.Ordinal))
        {
            errors.Add($"{SectionName}:{nameof(Adapter)}: an adapter name such as 'hci0', not a path, was '{Adapter}'.");
        }

        return errors;
    }
}

/// <summary>Validates <see cref="BlueZOptions"/> for <c>ValidateOnStart</c>.</summary>
public sealed class BlueZOptionsValidator : IValidateOptions<BlueZOptions>
{
    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, BlueZOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
