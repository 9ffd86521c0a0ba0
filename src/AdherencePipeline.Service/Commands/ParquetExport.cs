using AdherencePipeline.Outcomes;
using Parquet;
using Parquet.Schema;

namespace AdherencePipeline.Service.Commands;

/// <summary>Writes a tidy table as one Parquet row group, with the column types of its data dictionary and nulls for missing values.</summary>
internal static class ParquetExport
{
    public static async Task WriteAsync(TidyTable table, string path, CancellationToken cancellationToken)
    {
        var fields = table.Columns.Select(c => c.Type switch
        {
            ColumnType.String => (DataField)new DataField<string>(c.Name, true),
            ColumnType.Integer => new DataField<long?>(c.Name),
            ColumnType.Float => new DataField<double?>(c.Name),
            ColumnType.Date => new DataField<DateOnly?>(c.Name),
            _ => new DataField<bool?>(c.Name),
        }).ToArray();
        await using var stream = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), stream, new ParquetOptions { UseDateOnlyTypeForDates = true }, false, cancellationToken);
        using var group = writer.CreateRowGroup();
        for (var i = 0; i < fields.Length; i++)
        {
            var column = i;
            switch (table.Columns[i].Type)
            {
                case ColumnType.String:
                    await group.WriteAsync(fields[i], table.Rows.Select(r => (string)r[column]!).ToArray(), null);
                    break;
                case ColumnType.Integer:
                    await group.WriteAsync(fields[i], new ReadOnlyMemory<long?>([.. table.Rows.Select(r => (long?)r[column])]), null, null, cancellationToken);
                    break;
                case ColumnType.Float:
                    await group.WriteAsync(fields[i], new ReadOnlyMemory<double?>([.. table.Rows.Select(r => (double?)r[column])]), null, null, cancellationToken);
                    break;
                case ColumnType.Date:
                    await group.WriteAsync(fields[i], new ReadOnlyMemory<DateOnly?>([.. table.Rows.Select(r => (DateOnly?)r[column])]), null, null, cancellationToken);
                    break;
                default:
                    await group.WriteAsync(fields[i], new ReadOnlyMemory<bool?>([.. table.Rows.Select(r => (bool?)r[column])]), null, null, cancellationToken);
                    break;
            }
        }
    }
}
