using Tmds.DBus.Protocol;

namespace AdherencePipeline.BlueZ;

/// <summary>
/// Asks BlueZ, on a connection of its own, whether the adapter the transport uses is there and powered:
/// the same choice as the transport makes (<see cref="BlueZOptions.Adapter"/>, else the first powered one).
/// For readiness checks; the transport's own connection is not disturbed.
/// </summary>
public static class BlueZAdapterProbe
{
    /// <summary>
    /// The D-Bus path of the adapter, e.g. <c>/org/bluez/hci0</c>. Throws <see cref="BlueZUnavailableException"/>
    /// with the reason when the bus, BlueZ or a powered adapter is missing.
    /// </summary>
    public static async Task<string> FindAdapterAsync(BlueZOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        BlueZClient client;
        try
        {
            client = await BlueZClient.ConnectAsync(options.BusAddress, cancellationToken).ConfigureAwait(false);
        }
        catch (DBusConnectFailedException ex)
        {
            throw new BlueZUnavailableException($"cannot connect to the D-Bus bus '{options.BusAddress}': {ex.Message}", ex);
        }

        using (client)
        {
            try
            {
                return await AdapterSelection.FindAsync(client, options.Adapter, cancellationToken).ConfigureAwait(false);
            }
            catch (DBusConnectionException ex)
            {
                // The bus went away mid-call; error replies are already turned into a reason by the selection.
                throw new BlueZUnavailableException($"the D-Bus connection to BlueZ failed: {ex.Message}", ex);
            }
        }
    }
}
