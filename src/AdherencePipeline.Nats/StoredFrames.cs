using System.Runtime.CompilerServices;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace AdherencePipeline.Nats;

/// <summary>Reads a participant's stored frames by stream sequence, acknowledging nothing (for rebuilding a wear period).</summary>
internal static class StoredFrames
{
    /// <summary>
    /// The participant's frames from stream sequence <paramref name="from"/> through <paramref name="through"/>
    /// (or to the end of the stream when it is 0), in order.
    /// </summary>
    public static async IAsyncEnumerable<ParticipantFrame> ReadAsync(INatsJSContext jetStream, string stream, string site, string participant, ulong from, ulong through, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // An ephemeral consumer with one filter subject: NATS.Net's ordered consumer sends filter_subjects,
        // which nats-server before 2.10 ignores (it would deliver every participant's frames).
        // Named: without a name the client's create request does not match its filter on nats-server 2.9.
        var consumer = await jetStream.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig($"rebuild_{Guid.NewGuid():N}")
        {
            FilterSubject = FrameSubjects.Frames(site, participant),
            DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartSequence,
            OptStartSeq = Math.Max(1, from),
            AckPolicy = ConsumerConfigAckPolicy.None,
            InactiveThreshold = TimeSpan.FromMinutes(1),
            NumReplicas = 1,
            MemStorage = true,
        }, cancellationToken).ConfigureAwait(false);
        try
        {
            var texts = new FrameEnvelopeTextCache();
            await foreach (var message in consumer.ConsumeAsync<byte[]>(opts: new NatsJSConsumeOpts { MaxMsgs = 256 }, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                var metadata = message.Metadata!.Value;
                if (through != 0 && metadata.Sequence.Stream > through)
                {
                    yield break;
                }

                var data = message.Data ?? [];
                var fault = FrameEnvelopeCodec.TryRead(data, texts, out var envelope);
                yield return new ParticipantFrame(message, data, fault, envelope);
                if (metadata.Sequence.Stream == through || metadata.NumPending == 0)
                {
                    yield break;
                }
            }
        }
        finally
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await jetStream.DeleteConsumerAsync(stream, consumer.Info.Name, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NATS.Client.Core.NatsException or OperationCanceledException)
            {
                // It goes by itself after InactiveThreshold.
            }
        }
    }
}
