/** Where scripts/dynamodb-local.sh unpacks DynamoDB Local. */
export declare const JAR_DIR: string;
/** On a CI runner (`CI` set) its tests must run: a DynamoDB Local that cannot start fails them. */
export declare const IN_CI: boolean;
/** Why DynamoDB Local cannot run here (no jar, no Java 17), or `undefined` when it can. */
export declare function dynamoDbLocalMissing(): string | undefined;
